"""Versioned rule sets per specialty: drafts, validation, publication, preview, in-force lookup."""

from app.rules.in_force import InForceRules, rule_version_documents, rules_in_force

__all__ = ["InForceRules", "rule_version_documents", "rules_in_force"]
