"""Challenge clips (intake: probe, validate, dedupe, consent, review) and the recap renderer."""
