"""Forms by audience: consumers filing (intake, details), tracking and accounts; regulators
(triage, cases); operators; the public and statistics pages. They parse input only."""
