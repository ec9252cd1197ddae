"""A made-up 24-hour history for the status tests, written into a stopped
agent's store by tests/tools/history_seed (the module's own write path).

The day: connected all along but for one offline stretch OFFLINE_AGO_S ..
BACK_AGO_S ago, while sales pile up to PEAK; they are all sent within a few
minutes of the link's return. The Odoo copy ages during the stretch too."""
import os
import subprocess

SEED = os.environ.get("TS_HISTORY_SEED", "")
OFFLINE_AGO_S = 9 * 3600       # went offline 9 h ago...
BACK_AGO_S = OFFLINE_AGO_S - 95 * 60  # ...for 95 minutes
PEAK = 312


def day():
    """(ago_s, pending, oldest_age_s, online, odoo_age_s, accepted, disk_mb), oldest first."""
    rows = []
    pending = 0
    for m in range(1439, 0, -1):
        ago = m * 60
        offline = BACK_AGO_S < ago <= OFFLINE_AGO_S
        accepted = 3 + (m % 5)
        if offline:
            pending = min(PEAK, pending + accepted)
        elif pending:
            pending = max(0, pending - 120)  # sent in a few minutes once back
        oldest = (OFFLINE_AGO_S - ago) if offline else (60 if pending else 0)
        odoo_age = (OFFLINE_AGO_S - ago + 300) if offline else 300 + (m % 15) * 60
        rows.append((ago, pending, max(0, oldest), 0 if offline else 1, odoo_age, accepted, 5120))
    return rows


def seed(agent, rows=None):
    """Writes rows into the (stopped) agent's store."""
    text = "".join(" ".join(str(v) for v in r) + "\n" for r in (rows or day()))
    map_mb = agent.config.get("storage", {}).get("map_size_mb", 1024)
    subprocess.run([SEED, agent.data_dir, str(map_mb)], input=text.encode(), check=True,
                   stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
