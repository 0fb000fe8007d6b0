"""The campaign's data and every rule about it: models and the store; campaigns, channels and
connecting them; posts, quizzes, series, slots and the queue; deliveries and their one state
machine (lifecycle.py, at the bottom); approvals and users; clips, consent and pledges; media and
validation against each platform's limits; the report's data; the catalogue of messages."""
# The rules that run when a delivery moves (lifecycle.AFTER_PUBLISHED) are registered by importing
# them: here, so they hold whoever moves a delivery, the scheduler or the officer.
from . import answers  # noqa: F401,E402
