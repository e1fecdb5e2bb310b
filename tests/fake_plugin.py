"""Imported through EMPATHY_SIM_IMPORT by CLI subprocess tests: registers scripted fakes."""

import fakes
from simulator.core.records import CRITERIA

provider = fakes.install()
provider.set("persona", fakes.persona_script(["it's been a hard week", "i missed her last call", "yeah"]))
provider.set("subject", fakes.subject_script(fakes.WARM))
provider.set("subject_cold", fakes.subject_script(fakes.COLD))
provider.set("judge", fakes.judge_json({c: 4 for c in CRITERIA}))
provider.set("slow_persona", fakes.persona_script(["it's been a hard week", "i missed her last call", "yeah"]), delay_s=0.1)
provider.set("slow_subject", fakes.subject_script(fakes.WARM), delay_s=0.1)
provider.set("slow_judge", fakes.judge_json({c: 4 for c in CRITERIA}), delay_s=0.1)
provider.set("slower_judge", fakes.judge_json({c: 3 for c in CRITERIA}), delay_s=0.4)
