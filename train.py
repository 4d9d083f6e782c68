"""Train the default factopinion model on every labeled file in data/ and write it to model/.

    python train.py [--seed N] [--cv-folds N]

The same as ``factopinion train --out model --force``; see README.md.
"""

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent
sys.path.insert(0, str(ROOT / "src"))

from factopinion.cli import main  # noqa: E402

if __name__ == "__main__":
    main(["train", "--out", str(ROOT / "model"), "--force", *sys.argv[1:]], prog_name="python train.py")
