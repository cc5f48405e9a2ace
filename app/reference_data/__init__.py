"""Reference data shipped with the service (CSV files loaded by ``equiwait migrate``)."""

from pathlib import Path

REFERENCE_DIR = Path(__file__).resolve().parent
DEFAULT_IMD_FILE = REFERENCE_DIR / "imd" / "iod2019_lsoa11_scores_ranks_deciles.csv.gz"
