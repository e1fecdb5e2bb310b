"""The conversation: the langgraph loop, the persona (prompt, script form, turn, appraisal, fidelity) and its ESConv calibration."""
