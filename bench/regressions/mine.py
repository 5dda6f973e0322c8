"""Mine real regressions from a local clone: reverts whose message says why.

Each revert that names exactly one reverted change (by SHA, by PR number or by its quoted
title), says why in words, and came within the lookback after that change landed becomes a
`Case`: culprit = the reverted change, base = the revert's first parent, incident text = the
sanitized reason. Run it over a directory of clones (`owner__name`, bare or not):

    python -m bench.regressions.mine --clones CLONES [--repo owner/name] [--out FILE] [--keep]

`--keep` adds the new cases to those already in the file instead of replacing them.
"""

from __future__ import annotations

import argparse
import sys
from collections import Counter, defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from bench.regressions.cases import CASES_FILE, Case, load_cases, write_cases
from bench.regressions.history import (
    Commit,
    Headline,
    commits_by_sha,
    headlines,
    is_ancestor,
    landed_between,
    log,
    resolve,
)
from bench.regressions.reasons import (
    extract_reason,
    find_refs,
    is_reland,
    is_revert,
    is_squash_list,
    title_without_pr,
)
from bench.regressions.sanitize import Leaks, has_words, sanitize_reason
from pmops.sources.git import parse_pr

LOOKBACK_S = 24 * 3600
"""pmops's default lookback (24 h): a culprit that landed earlier is out of the ranker's reach."""

FOLDED_MAX = 50
"""A merge culprit's description includes at most this many of the commits it brings in."""

PER_REPO_MAX = 60
"""At most this many cases per repository (the newest), so no project dominates the figures."""

REPOSITORIES: dict[str, str] = {
    "denoland/deno": "rust/typescript",
    "microsoft/playwright": "typescript",
    "angular/components": "typescript",
    "emscripten-core/emscripten": "c++/javascript/python",
    "jax-ml/jax": "python",
    "openstack/nova": "python/infra",
    "openstack/neutron": "python/infra",
    "astral-sh/ruff": "rust/python",
    "rust-lang/cargo": "rust",
    "rust-lang/rust-clippy": "rust",
    "facebook/buck2": "rust/infra",
    "hashicorp/terraform": "go/infra",
    "tailscale/tailscale": "go/infra",
    "aosp-mirror/platform_bionic": "c/c++",
    "aosp-mirror/platform_system_core": "c/c++",
    "protocolbuffers/protobuf": "c++",
    "KhronosGroup/SPIRV-Tools": "c++",
    "WebAssembly/binaryen": "c++",
    "iree-org/iree": "c++/mlir",
    "python/mypy": "python",
    "astral-sh/uv": "rust/python",
    "electron/electron": "c++/typescript",
    "getsentry/sentry-javascript": "typescript",
    "KhronosGroup/glslang": "c++",
    "KhronosGroup/Vulkan-ValidationLayers": "c++",
    "aosp-mirror/platform_build": "infra/go",
    "duckdb/duckdb": "c++",
    "facebook/folly": "c++",
    "facebook/hermes": "c++",
    "llvm/circt": "c++/mlir",
    "llvm/torch-mlir": "c++/mlir",
    "microsoft/STL": "c++",
    "ggerganov/llama.cpp": "c++",
    "curl/curl": "c",
    "redis/redis": "c",
    "etcd-io/etcd": "go",
    "prometheus/prometheus": "go",
    "hashicorp/nomad": "go",
    "containerd/containerd": "go",
    "istio/istio": "go",
    "temporalio/temporal": "go",
    "moby/moby": "go",
    "grpc/grpc-go": "go",
    "grafana/k6": "go",
    "rust-lang/rust-analyzer": "rust",
    "bevyengine/bevy": "rust",
    "tokio-rs/tokio": "rust",
    "bytecodealliance/wasmtime": "rust",
    "nushell/nushell": "rust",
    "pola-rs/polars": "rust/python",
    "biomejs/biome": "rust",
    "vitejs/vite": "typescript",
    "sveltejs/svelte": "javascript",
    "babel/babel": "javascript",
    "eslint/eslint": "javascript",
    "prettier/prettier": "javascript",
    "webpack/webpack": "javascript",
    "mozilla/pdf.js": "javascript",
    "numpy/numpy": "python/c",
    "scipy/scipy": "python/c",
    "sympy/sympy": "python",
    "pytest-dev/pytest": "python",
    "pypa/pip": "python",
    "openstack/cinder": "python/infra",
    "openstack/ironic": "python/infra",
    "openstack/keystone": "python/infra",
    "openstack/swift": "python/infra",
    "openstack/heat": "python/infra",
    "openstack/glance": "python/infra",
    "apache/kafka": "java",
    "apache/iceberg": "java",
    "apache/maven": "java",
    "apache/calcite": "java",
    "netty/netty": "java",
    "square/okhttp": "java/kotlin",
    "spring-projects/spring-boot": "java",
    "spring-projects/spring-framework": "java",
    "jenkinsci/jenkins": "java",
    "mockito/mockito": "java",
    "facebook/rocksdb": "c++",
    "facebookincubator/velox": "c++",
    "pytorch/executorch": "c++/python",
    "pytorch/ao": "python",
    "rails/rails": "ruby",
    "aosp-mirror/platform_development": "java/c++",
    "openxla/stablehlo": "c++/mlir",
    "git/git": "c",
    "elixir-lang/elixir": "elixir",
    "PowerShell/PowerShell": "c#",
    "mesonbuild/meson": "python",
    "tensorflow/tflite-micro": "c++",
    "apache/arrow": "c++/java/python",
    "microsoft/DirectXShaderCompiler": "c++",
    "KhronosGroup/SPIRV-LLVM-Translator": "c++",
    "shader-slang/slang": "c++",
    "swiftlang/swift-driver": "swift",
    "flutter/packages": "dart",
    "crystal-lang/crystal": "crystal",
    "Homebrew/brew": "ruby",
    "llvm/llvm-zorg": "python/infra",
    "iree-org/iree-turbine": "python",
    "KhronosGroup/SPIRV-Headers": "c++",
    "KhronosGroup/Vulkan-Loader": "c",
    "KhronosGroup/Vulkan-Tools": "c++",
    "LunarG/VulkanTools": "c++",
    "Qiskit/qiskit": "python/rust",
    "ROCm/rocm-systems": "c++",
    "ROCm/triton": "python/c++",
    "ReactiveX/RxJava": "java",
    "Shopify/shopify-cli": "ruby",
    "alacritty/alacritty": "rust",
    "angular/angular-cli": "typescript",
    "ansible/ansible": "python",
    "aosp-mirror/platform_frameworks_support": "java/kotlin",
    "aosp-mirror/platform_hardware_libhardware": "c/c++",
    "aosp-mirror/platform_packages_apps_packageinstaller": "java",
    "aosp-mirror/platform_packages_providers_contactsprovider": "java",
    "aosp-mirror/platform_packages_providers_mediaprovider": "java",
    "apache/bookkeeper": "java",
    "apache/commons-lang": "java",
    "apache/dubbo": "java",
    "apache/groovy": "java/groovy",
    "apache/logging-log4j2": "java",
    "apache/ozone": "java",
    "apache/pekko": "scala",
    "apache/pinot": "java",
    "apache/rocketmq": "java",
    "apache/tomcat": "java",
    "apache/zookeeper": "java",
    "argoproj/argo-cd": "go",
    "bytecodealliance/wasm-tools": "rust",
    "caddyserver/caddy": "go",
    "cadence-workflow/cadence": "go",
    "cert-manager/cert-manager": "go",
    "certbot/certbot": "python",
    "checkstyle/checkstyle": "java",
    "cockroachdb/pebble": "go",
    "conda/conda": "python",
    "containers/podman": "go",
    "dagger/dagger": "go",
    "dask/dask": "python",
    "denoland/std": "typescript",
    "docker/cli": "go",
    "eclipse-vertx/vert.x": "java",
    "electron/forge": "typescript",
    "emberjs/ember.js": "javascript/typescript",
    "envoyproxy/gateway": "go",
    "ethereum/go-ethereum": "go",
    "evanw/esbuild": "go",
    "facebook/Ax": "python",
    "facebook/CacheLib": "c++",
    "facebook/buck2-prelude": "infra/starlark",
    "facebook/facebook-android-sdk": "java/kotlin",
    "facebook/fb303": "c++",
    "facebook/fboss": "c++",
    "facebook/fbthrift": "c++",
    "facebook/flipper": "typescript/kotlin",
    "facebook/flow": "ocaml",
    "facebook/fresco": "java/kotlin",
    "facebook/igl": "c++",
    "facebook/infer": "ocaml",
    "facebook/ktfmt": "kotlin",
    "facebook/lexical": "typescript",
    "facebook/litho": "java/kotlin",
    "facebook/mariana-trench": "c++",
    "facebook/metro": "javascript",
    "facebook/mvfst": "c++",
    "facebook/openbmc": "c/python",
    "facebook/openr": "c++",
    "facebook/proxygen": "c++",
    "facebook/pyrefly": "rust",
    "facebook/redex": "c++",
    "facebook/starlark-rust": "rust",
    "facebook/wangle": "c++",
    "facebook/watchman": "c++/rust",
    "facebook/yoga": "c++",
    "facebook/zstd": "c",
    "facebookincubator/fizz": "c++",
    "facebookincubator/katran": "c++",
    "facebookresearch/faiss": "c++/python",
    "firebase/firebase-js-sdk": "typescript",
    "gfx-rs/wgpu": "rust",
    "gohugoio/hugo": "go",
    "grafana/alloy": "go",
    "grafana/loki": "go",
    "grafana/tempo": "go",
    "hashicorp/boundary": "go",
    "hashicorp/packer": "go",
    "hashicorp/terraform-provider-google": "go",
    "helix-editor/helix": "rust",
    "hibernate/hibernate-orm": "java",
    "home-assistant/frontend": "typescript",
    "hyperium/hyper": "rust",
    "influxdata/telegraf": "go",
    "intel/intel-graphics-compiler": "c++",
    "ipython/ipython": "python",
    "iree-org/wave": "python",
    "jaegertracing/jaeger": "go",
    "jestjs/jest": "typescript",
    "jupyterlab/jupyterlab": "typescript/python",
    "keras-team/keras": "python",
    "knative/serving": "go",
    "kubernetes-sigs/cluster-api": "go",
    "kubernetes-sigs/controller-runtime": "go",
    "kubernetes-sigs/kind": "go",
    "kubernetes/autoscaler": "go",
    "kubernetes/ingress-nginx": "go",
    "kubernetes/kops": "go",
    "kubernetes/minikube": "go",
    "kubernetes/test-infra": "go/infra",
    "kubevirt/kubevirt": "go",
    "llvm/llvm-test-suite": "c++",
    "meilisearch/meilisearch": "rust",
    "micronaut-projects/micronaut-core": "java",
    "microsoft/TypeScript-Website": "typescript",
    "microsoft/mimalloc": "c",
    "microsoft/react-native-windows": "c++/typescript",
    "microsoft/rushstack": "typescript",
    "microsoft/terminal": "c++",
    "microsoft/vscode-python": "typescript/python",
    "nats-io/nats-server": "go",
    "nodejs/undici": "javascript",
    "npm/cli": "javascript",
    "ollama/ollama": "go",
    "oneapi-src/oneDNN": "c++",
    "openstack/ceilometer": "python/infra",
    "openstack/designate": "python/infra",
    "openstack/devstack": "infra/shell",
    "openstack/diskimage-builder": "python/infra",
    "openstack/horizon": "python/infra",
    "openstack/ironic-python-agent": "python/infra",
    "openstack/kolla": "python/infra",
    "openstack/kolla-ansible": "infra/ansible",
    "openstack/magnum": "python/infra",
    "openstack/manila": "python/infra",
    "openstack/neutron-lib": "python/infra",
    "openstack/nova-specs": "python/infra",
    "openstack/octavia": "python/infra",
    "openstack/openstack-ansible": "infra/ansible",
    "openstack/openstacksdk": "python/infra",
    "openstack/oslo.messaging": "python/infra",
    "openstack/placement": "python/infra",
    "openstack/project-config": "infra/zuul",
    "openstack/python-openstackclient": "python/infra",
    "openstack/requirements": "python/infra",
    "openstack/tempest": "python/infra",
    "openstack/tripleo-heat-templates": "infra/heat",
    "openstack/trove": "python/infra",
    "openxla/shardy": "c++/mlir",
    "oxc-project/oxc": "rust",
    "pnpm/pnpm": "typescript",
    "pulumi/pulumi": "go",
    "pydantic/pydantic": "python",
    "pypa/setuptools": "python",
    "python-poetry/poetry": "python",
    "pytorch/FBGEMM": "c++/python",
    "pytorch/benchmark": "python",
    "pytorch/botorch": "python",
    "pytorch/captum": "python",
    "pytorch/glow": "c++",
    "pytorch/kineto": "c++",
    "pytorch/opacus": "python",
    "pytorch/rl": "python",
    "pytorch/serve": "python/java",
    "pytorch/tensordict": "python",
    "pytorch/test-infra": "python/infra",
    "pytorch/torchrec": "python",
    "pytorch/torchtitan": "python",
    "pytorch/torchtune": "python",
    "pytorch/torchx": "python",
    "pytorch/xla": "c++/python",
    "qdrant/qdrant": "rust",
    "qt/qt5": "c++",
    "qt/qtdeclarative": "c++",
    "qt/qtmultimedia": "c++",
    "qt/qttools": "c++",
    "qt/qtwayland": "c++",
    "rancher/rancher": "go",
    "remix-run/react-router": "typescript",
    "rolldown/rolldown": "rust",
    "rubygems/rubygems": "ruby",
    "rust-lang/crates.io": "rust",
    "rust-lang/miri": "rust",
    "rust-lang/rustfmt": "rust",
    "rust-lang/rustup": "rust",
    "sourcegraph/zoekt": "go",
    "sphinx-doc/sphinx": "python",
    "square/retrofit": "java",
    "sveltejs/kit": "javascript",
    "swiftlang/sourcekit-lsp": "swift",
    "swiftlang/swift-foundation": "swift",
    "swiftlang/swift-package-manager": "swift",
    "swiftlang/swift-syntax": "swift",
    "tauri-apps/tauri": "rust",
    "tektoncd/pipeline": "go",
    "tensorflow/probability": "python",
    "tensorflow/runtime": "c++",
    "tensorflow/serving": "c++",
    "tensorflow/tensorboard": "typescript/python",
    "tensorflow/tfjs": "typescript",
    "thanos-io/thanos": "go",
    "tikv/tikv": "rust",
    "vectordotdev/vector": "rust",
    "vuejs/core": "typescript",
    "withastro/astro": "typescript",
    "mozilla/application-services": "rust/kotlin",
    "mozilla/glean": "rust/kotlin",
    "phpstan/phpstan-src": "php",
    "composer/composer": "php",
    "laravel/framework": "php",
    "symfony/symfony": "php",
    "scala/scala": "scala",
    "scala/scala3": "scala",
    "apache/maven-resolver": "java",
    "apache/commons-io": "java",
    "apache/jmeter": "java",
    "apache/activemq": "java",
    "apache/accumulo": "java",
    "apache/nifi": "java",
    "grafana/grafana-plugin-sdk-go": "go",
    "temporalio/sdk-java": "java",
    "temporalio/sdk-go": "go",
    "getsentry/sentry-python": "python",
    "getsentry/sentry-cocoa": "objective-c/swift",
    "getsentry/sentry-java": "java/kotlin",
    "getsentry/snuba": "python",
    "getsentry/sentry-native": "c",
    "PostHog/posthog-js": "typescript",
    "microsoft/playwright-python": "python",
    "microsoft/vscode-js-debug": "typescript",
    "microsoft/pyright": "typescript/python",
    "microsoft/vcpkg-tool": "c++",
    "microsoft/WSL": "c++",
    "microsoft/cppwinrt": "c++",
    "microsoft/azure-pipelines-agent": "c#",
    "aws/karpenter-provider-aws": "go",
    "awslabs/aws-c-io": "c",
    "firecracker-microvm/firecracker": "rust",
    "microsoft/vscode-copilot-release": "typescript",
    "microsoft/monaco-editor": "typescript",
    "microsoft/vscode-languageserver-node": "typescript",
    "angular/angularfire": "typescript",
    "mochajs/mocha": "javascript",
    "vercel/swr": "typescript",
    "cilium/tetragon": "go",
    "cilium/ebpf": "go",
    "hashicorp/nomad-autoscaler": "go",
    "hashicorp/terraform-provider-azurerm": "go",
    "open-telemetry/opentelemetry-go": "go",
    "vitest-dev/vitest": "typescript",
    "nuxt/nuxt": "typescript",
    "prisma/prisma": "typescript",
    "apollographql/apollo-client": "typescript",
    "webdriverio/webdriverio": "typescript",
    "TanStack/query": "typescript",
    "graphql/graphql-js": "typescript",
    "microsoft/vscode-pull-request-github": "typescript",
    "vercel/ai": "typescript",
}
"""Repositories mined for cases.jsonl, and their ecosystem. None of google/*, golang/*,
chromium/* or catapult-project/*: those are kept for independent evaluation."""

EXCLUDED_OWNERS = ("google", "golang", "chromium", "catapult-project")

_REVERT_GREP = r"revert|roll(ed|ing)? ?back|rollback|back(ed)? ?out"

Progress = Callable[[str], None]


def _quiet(_: str) -> None:
    """Say nothing."""


@dataclass
class MineReport:
    """Cases found in one repository and why the other reverts were skipped."""

    cases: list[Case] = field(default_factory=list)
    skipped: Counter[str] = field(default_factory=Counter)


def _iso(seconds: int) -> str:
    return datetime.fromtimestamp(seconds, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


class _Index:
    """Headlines of a repository's history, by PR number and by title."""

    def __init__(self, heads: Sequence[Headline]) -> None:
        self.by_pr: dict[int, list[Headline]] = defaultdict(list)
        self.by_title: dict[str, list[Headline]] = defaultdict(list)
        self.by_diff: dict[str, list[Headline]] = defaultdict(list)
        for head in heads:
            if head.diff:
                self.by_diff[head.diff.upper()].append(head)
            if (pr := parse_pr(head.subject)) is not None:
                self.by_pr[pr].append(head)
            self.by_title[_title_key(head.subject)].append(head)

    def latest(self, found: Sequence[Headline], revert: Commit) -> str | None:
        """The newest of `found` that landed before the revert was written."""
        before = [h for h in found if h.sha != revert.sha and h.committed <= revert.authored]
        return max(before, key=lambda h: (h.committed, h.sha)).sha if before else None


def _title_key(subject: str) -> str:
    return " ".join(title_without_pr(subject).lower().split()).rstrip(".")


def _culprits(revert: Commit, index: _Index, repo: str, clone: Path) -> set[str]:
    """Full SHAs of what `revert` reverts: by SHA, else by PR number, else by quoted title.

    A SHA that is not in this history (a mirror's revert quoting the SHA of an internal
    repository) does not count: the PR number, diff or title may still name the culprit.
    """
    refs = find_refs(revert.subject, revert.body)
    if refs.shas:
        full = resolve(clone, refs.shas)
        if found_shas := {full[s] for s in refs.shas if s in full}:
            return found_shas
    found: set[str] = set()
    for owner_repo, number in refs.prs:
        if owner_repo and owner_repo.lower() != repo.lower():
            continue
        if sha := index.latest(index.by_pr.get(number, []), revert):
            found.add(sha)
    for diff in refs.diffs:
        if sha := index.latest(index.by_diff.get(diff, []), revert):
            found.add(sha)
    if not found and refs.title:
        if sha := index.latest(index.by_title.get(_title_key(refs.title), []), revert):
            found.add(sha)
    return found


def _folded_messages(clone: Path, culprit: Commit) -> str:
    """For a merge, the messages of the commits it brings in (a PR's own description)."""
    if len(culprit.parents) < 2:
        return ""
    folded = log(clone, "-n", str(FOLDED_MAX), f"{culprit.parents[0]}..{culprit.sha}")
    return "\n\n".join(c.message for c in folded if c.sha != culprit.sha)


def _leaks(revert: Commit, culprit: Commit, folded: str = "") -> Leaks:
    people = [revert.author_name, revert.author_email, culprit.author_name, culprit.author_email]
    if "noreply" not in culprit.committer_email:
        people += [culprit.committer_name, culprit.committer_email]
    refs = find_refs(revert.subject, revert.body)
    numbers = [str(n) for _, n in refs.prs] + [d[1:] for d in refs.diffs]
    if (pr := parse_pr(culprit.subject, culprit.body)) is not None:
        numbers.append(str(pr))
    return Leaks(
        shas=(culprit.sha, revert.sha, *revert.parents, *culprit.parents),
        title=culprit.subject,
        description=f"{culprit.body}\n\n{folded}".strip(),
        people=tuple(people),
        numbers=tuple(numbers),
    )


def _case(
    revert: Commit, culprit: Commit, repo: str, ecosystem: str, clone: Path, lookback: int
) -> Case | str:
    """The case `revert` makes, or why it makes none."""
    if is_revert(culprit.subject, "") or is_reland(culprit.subject):
        return "culprit is itself a revert or reland"
    started = revert.authored
    if not started - lookback <= culprit.committed <= started:
        return "culprit outside the lookback"
    if not revert.parents:
        return "revert has no parent"
    base = revert.parents[0]
    if not is_ancestor(clone, culprit.sha, base):
        return "culprit not in the revert's history"
    raw, fmt = extract_reason(revert.body)
    reason = sanitize_reason(raw, _leaks(revert, culprit, _folded_messages(clone, culprit)))
    if not has_words(reason) or is_squash_list(reason):
        return "no reason"
    candidates = len(landed_between(clone, base, started - lookback, started))
    return Case(
        repo=repo,
        ecosystem=ecosystem,
        revert=revert.sha,
        culprit=culprit.sha,
        base=base,
        started_at=_iso(started),
        resolved_at=_iso(max(revert.committed, started)),
        reason=reason,
        candidates=candidates,
        format=fmt,
    )


def mine_repository(
    clone: Path,
    repo: str,
    ecosystem: str = "other",
    *,
    ref: str = "HEAD",
    lookback: int = LOOKBACK_S,
    limit: int = PER_REPO_MAX,
    progress: Progress = _quiet,
) -> MineReport:
    """The regression cases of one clone (newest first, at most `limit`), and the skips."""
    report = MineReport()
    reverts = [
        c
        for c in log(clone, "-i", "-E", f"--grep={_REVERT_GREP}", ref, "--")
        if is_revert(c.subject, c.body)
    ]
    progress(f"{repo}: {len(reverts)} reverts")
    index = _Index(headlines(clone, ref))
    found: list[tuple[Commit, str]] = []
    for revert in reverts:
        culprits = _culprits(revert, index, repo, clone)
        if len(culprits) != 1:
            report.skipped["no single culprit found" if not culprits else "several culprits"] += 1
            continue
        found.append((revert, culprits.pop()))
    commits = commits_by_sha(clone, {sha for _, sha in found})
    seen: set[str] = set()
    reasons: set[str] = set()
    for revert, culprit_sha in sorted(found, key=lambda f: (f[0].authored, f[0].sha)):
        culprit = commits.get(culprit_sha)
        if culprit is None or culprit_sha in seen:
            report.skipped["culprit unreadable or already a case"] += 1
            continue
        outcome = _case(revert, culprit, repo, ecosystem, clone, lookback)
        if isinstance(outcome, str):
            report.skipped[outcome] += 1
            continue
        if outcome.reason in reasons:
            report.skipped["same reason as an earlier case"] += 1
            continue
        seen.add(culprit_sha)
        reasons.add(outcome.reason)
        report.cases.append(outcome)
    report.cases.sort(key=lambda c: c.started_at, reverse=True)
    if len(report.cases) > limit:
        report.skipped["over the per-repository limit"] += len(report.cases) - limit
        del report.cases[limit:]
    return report


def merge_cases(kept: Sequence[Case], found: Sequence[Case], limit: int) -> list[Case]:
    """`kept` as they are, plus each case of `found` whose revert and culprit are new, newest
    first, while its repository has fewer than `limit` cases."""
    reverts = {c.revert for c in kept}
    culprits = {(c.repo, c.culprit) for c in kept}
    per_repo = Counter(c.repo for c in kept)
    merged = list(kept)
    for case in sorted(found, key=lambda c: c.started_at, reverse=True):
        if case.revert in reverts or (case.repo, case.culprit) in culprits:
            continue
        if per_repo[case.repo] >= limit:
            continue
        reverts.add(case.revert)
        culprits.add((case.repo, case.culprit))
        per_repo[case.repo] += 1
        merged.append(case)
    return merged


def clone_dirs(clones: Path, only: Sequence[str] = ()) -> dict[str, Path]:
    """`owner/name` -> clone directory for each `owner__name` entry of `clones`."""
    found = {}
    for entry in sorted(clones.iterdir()):
        if "__" not in entry.name or not entry.is_dir():
            continue
        repo = entry.name.replace("__", "/", 1)
        if only and repo not in only and entry.name not in only:
            continue
        if repo.split("/", 1)[0].lower() in EXCLUDED_OWNERS:
            continue
        found[repo] = entry
    return found


def main(argv: Sequence[str] | None = None) -> int:
    """Mine every clone of `--clones` (or the `--repo` ones) into a JSONL cases file."""
    parser = argparse.ArgumentParser(prog="python -m bench.regressions.mine", description=__doc__)
    parser.add_argument("--clones", type=Path, required=True, help="directory of owner__name")
    parser.add_argument("--repo", action="append", default=[], help="only this owner/name")
    parser.add_argument("--out", type=Path, default=CASES_FILE, help="JSONL file to write")
    parser.add_argument("--per-repo", type=int, default=PER_REPO_MAX, help="cases per repo")
    parser.add_argument(
        "--keep",
        action="store_true",
        help="keep the cases already in --out and add only new ones (same per-repo limit)",
    )
    args = parser.parse_args(argv)

    def say(message: str) -> None:
        print(message, file=sys.stderr, flush=True)

    cases: list[Case] = []
    for repo, clone in clone_dirs(args.clones, args.repo).items():
        ecosystem = REPOSITORIES.get(repo, "other")
        report = mine_repository(clone, repo, ecosystem, limit=args.per_repo, progress=say)
        skipped = ", ".join(f"{n} {why}" for why, n in report.skipped.most_common())
        say(f"{repo}: {len(report.cases)} cases ({skipped})")
        cases += report.cases
    if args.keep and args.out.exists():
        cases = merge_cases(load_cases(args.out), cases, args.per_repo)
    count = write_cases(args.out, cases)
    say(f"wrote {count} cases to {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
