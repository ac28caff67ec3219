"""The AppWatch domain: complaints, apps and their operators, rectification cases and notices."""
