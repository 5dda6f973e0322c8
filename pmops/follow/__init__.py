"""Follow-through:
action items as issues, due dates, required postmortems, reminders, sign-off.
"""
