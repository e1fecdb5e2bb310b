"""Imported through EMPATHY_SIM_IMPORT by CLI subprocess tests: registers scripted fakes."""

import fakes
from simulator.records import CRITERIA

provider = fakes.install()
provider.set("persona", fakes.persona_script(["it's been a hard week", "i missed her last call", "yeah"]))
provider.set("subject", fakes.subject_script(fakes.WARM))
provider.set("subject_cold", fakes.subject_script(fakes.COLD))
provider.set("judge", fakes.judge_json({c: 4 for c in CRITERIA}))
