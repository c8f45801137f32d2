"""Generated scenarios: cross-border scam campaigns for demos, benchmarks and exercises.

`generate(seed, observables, countries)` describes a scenario; iterating it
(`Scenario.reports()`, `.events()`, `.campaigns()`) generates it afresh, with
bounded memory, identically for the same seed and `as_of`.  `write(scenario,
out_dir, formats)` writes per-agency STIX, MISP, CSV and text files plus
`agencies.json`, `answer_key.jsonl` and `manifest.json` (docs/synth.md).
"""

from bersama.synth.draws import FORMATS
from bersama.synth.events import CampaignSummary, GeneratedReport
from bersama.synth.scenario import Scenario, generate
from bersama.synth.write import write

__all__ = ["FORMATS", "CampaignSummary", "GeneratedReport", "Scenario", "generate", "write"]
