"""What protecting contact details and staff log-ins costs per operation (issue 14, accounts
and data protection): Fernet encryption and decryption of one contact detail, the e-mail's
blind index, the extra work per imported row with all three details given, and checking one
authenticator code.

    .venv/bin/python -m benchmarks.accounts_bench

No database: these are the CPU costs the model field, the importer and the two-factor step
add. Prints a Markdown table and writes var/bench/accounts.json.
"""

import json
import os
import statistics
import time
from pathlib import Path

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
os.environ.setdefault("FIELD_ENCRYPTION_KEYS", "YmVuY2gtZmllbGQtZW5jcnlwdGlvbi1rZXktMDAwMDA=")
os.environ.setdefault("CONTACT_INDEX_KEY", "bench-index-key")

ROUNDS = 7


def per_call_us(function, calls: int) -> float:
    """Median over ROUNDS of the mean time of one call, in microseconds."""
    times = []
    for _ in range(ROUNDS):
        started = time.perf_counter()
        for _ in range(calls):
            function()
        times.append((time.perf_counter() - started) / calls * 1e6)
    return statistics.median(times)


def main() -> None:
    import django

    django.setup()
    from django_otp.oath import TOTP

    from complaints.encryption import decrypt, email_index, encrypt

    name, phone, email = "王小明", "+8613812345678", "wang.xiaoming@example.com"
    token = encrypt(email)
    totp = TOTP(bytes(range(20)))
    code = totp.token()

    def imported_row():
        # What import_rows_prepare adds to a row with all three details.
        encrypt(name), encrypt(phone), encrypt(email), email_index(email)

    figures = {
        "encrypt one contact detail (µs)": per_call_us(lambda: encrypt(email), 5000),
        "decrypt one contact detail (µs)": per_call_us(lambda: decrypt(token), 5000),
        "blind index of an address (µs)": per_call_us(lambda: email_index(email), 20000),
        "extra per imported row, 3 details (µs)": per_call_us(imported_row, 2000),
        "check one authenticator code, ±1 step (µs)": per_call_us(
            lambda: totp.verify(code, tolerance=1), 5000
        ),
    }
    figures["imported rows/s the encryption alone allows"] = (
        1e6 / figures["extra per imported row, 3 details (µs)"]
    )
    print("| operation | figure |\n|---|---|")
    for what, value in figures.items():
        print(f"| {what} | {value:,.1f} |")
    out = Path(os.environ.get("APPWATCH_VAR_DIR", "var")) / "bench"
    out.mkdir(parents=True, exist_ok=True)
    (out / "accounts.json").write_text(json.dumps(figures, indent=2, ensure_ascii=False))


if __name__ == "__main__":
    main()
