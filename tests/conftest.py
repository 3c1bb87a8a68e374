import os
import sys
from pathlib import Path

import torch

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
torch.set_num_threads(1)  # tiny models run fastest single-threaded, and CI machines are small

SHARED_DATA = ROOT.parent / "shared" / "data"
os.environ.setdefault("GENLAB_DATA", str(SHARED_DATA))
