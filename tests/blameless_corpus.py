"""Sentences for the blameless-wording check, written for pmops in the style of public
postmortems. The facts come from well-known published incidents (named per group); the
wording is ours. BLAMELESS must pass; BLAMING must be flagged."""

from __future__ import annotations

BLAMELESS: tuple[str, ...] = (
    # a storage service outage after a maintenance command removed too many servers (2017)
    "A command run to remove a small number of servers for a billing subsystem was entered "
    "with an input that removed a larger set of servers than intended.",
    "The tool allowed too much capacity to be removed too quickly; it now removes capacity "
    "slowly and refuses to go below a minimum.",
    "Restarting the index subsystem took longer than expected because it had not been fully "
    "restarted in the larger regions for many years.",
    "The status dashboard depended on the service that failed, so it could not show the outage.",
    # a CDN outage caused by a regular expression in a firewall rule (2019)
    "A new rule for the web application firewall contained a regular expression that "
    "backtracked badly and exhausted CPU on every machine handling HTTP traffic.",
    "The rule was deployed globally at once instead of through the staged rollout used for "
    "code changes.",
    "The regular-expression engine had no guard against excessive backtracking.",
    "Disabling the firewall globally stopped the CPU exhaustion within minutes.",
    "Our test suite did not measure the CPU cost of new rules.",
    # a database deleted on the wrong host during replication repair (2017)
    "While repairing replication, a directory was removed on the primary database host "
    "instead of the secondary.",
    "Backups had not been tested, and two of the five backup mechanisms were not working.",
    "The terminal sessions for both hosts looked alike, which made the wrong host easy to pick.",
    "Restoring from a staging snapshot taken six hours earlier took about 18 hours.",
    "Alerts from the backup job went to an address that nobody read.",
    # a network partition between data centers and a failover that split writes (2018)
    "A 43-second loss of connectivity between the east coast hub and the primary data center "
    "led the orchestrator to promote replicas on the west coast.",
    "Writes accepted on both sides during the partition had to be reconciled by hand.",
    "The failover tooling was not aware of the topology constraints of cross-country writes.",
    "We paused webhook delivery and background jobs to protect data integrity.",
    # a configuration change that withdrew routes for a social network's DNS servers (2021)
    "During routine maintenance, a command meant to assess backbone capacity disconnected "
    "every data center from the network.",
    "An audit tool should have stopped the command, but a bug in it let the command through.",
    "The DNS servers withdrew their BGP routes when they could not reach the data centers, "
    "which made the names unresolvable worldwide.",
    "Engineers needed physical access to the routers, and the secured facilities took time "
    "to enter.",
    # a CDN-wide error from a latent bug triggered by one customer's valid configuration (2021)
    "A software deployment in May introduced a bug that a specific customer configuration "
    "could trigger.",
    "A customer pushed a valid configuration change that triggered the bug, and 85% of the "
    "network returned errors.",
    "The bug was detected within one minute and a fix was deployed the same day.",
    # a game platform outage from a key-value store under new streaming load (2021)
    "Enabling a new streaming feature under unusually high read and write load led to "
    "excessive contention in the key-value store.",
    "A pathological performance issue in the embedded database made the cluster unhealthy.",
    "The monitoring systems depended on the same cluster, which slowed the diagnosis.",
    "The outage lasted 73 hours.",
    # a chat service degradation on the first working day of the year (2021)
    "Traffic rose sharply as clients reconnected after the holidays, and the cloud provider's "
    "transit gateways did not scale fast enough.",
    "Autoscaling added instances, but they could not reach the provisioning service.",
    "The team failed over to a second region after diagnosing the network saturation.",
    # a cloud provider's region-wide issue after a capacity addition to an internal network
    "An automated activity to scale capacity of an internal service triggered unexpected "
    "behavior from a large number of clients.",
    "Congestion on the internal network delayed the monitoring data operators relied on.",
    # a trading firm's loss after a partial deployment (2012)
    "New code was deployed to seven of the eight servers; the eighth still ran an old, "
    "repurposed flag path.",
    "The deployment process had no automated check that every server received the new code.",
    "Orders sent in the first 45 minutes cost the firm about 440 million dollars.",
    # a software company's site deletion when a maintenance script received the wrong input
    "A script meant to delete a legacy app was given the IDs of whole sites instead.",
    "The script had no confirmation step and no dry-run mode for bulk deletions.",
    "Restoring 883 sites took up to 14 days because restores were built for one site at a time.",
    # generic shapes of blameless findings
    "The health check failed to detect the partition because it only checked the local port.",
    "The alert should have fired at 80% disk usage but its threshold was 95%.",
    "The linter should have caught the missing key, but it did not check YAML files.",
    "Redis failed to elect a new primary within the timeout.",
    "The deploy pipeline did not require a canary for configuration changes.",
    "The reviewer approved a change whose tests passed, because the tests did not cover the "
    "retry path.",
    "The on-call engineer was paged at 02:14 and acknowledged within three minutes.",
    "Kafka consumers fell behind and failed to commit offsets.",
    "Certificate renewal had been done by hand, and the expiry date was not monitored.",
    "The runbook described a rollback step that no longer applied to the new cluster.",
    "Because the migration locked the table, writes queued until the connection pool was "
    "exhausted.",
    "After the rollback at 14:52 the error rate returned to its baseline.",
)
"""Blameless sentences: what happened and what allowed it."""

BLAMING: tuple[str, ...] = (
    "Amy carelessly forgot to update the certificate.",
    "Bob should have caught it in review.",
    "The outage was caused by human error.",
    "@dave failed to run the migration before the deploy.",
    "This was entirely Carol's fault.",
    "The engineer made a mistake when typing the command.",
    "The on-call engineer was negligent and ignored the page.",
    "Erik broke production with a sloppy change.",
    "He should have known better than to deploy on a Friday.",
    "The author never bothered to test the rollback.",
    "Frank forgot to renew the certificate.",
    "The team lead is to blame for the missed review.",
)
"""Blaming sentences (people as the cause, blame words)."""
