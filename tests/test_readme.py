"""The README's usage example is real code: run it."""

import re
from pathlib import Path

README = Path(__file__).resolve().parents[1] / "README.md"


def test_readme_mentions_the_two_commands():
    text = README.read_text()
    assert "make demo" in text and "make test" in text


def test_readme_usage_example_runs(capsys):
    blocks = re.findall(r"```python\n(.*?)```", README.read_text(), flags=re.S)
    assert blocks, "README has no python example"
    example = blocks[0]
    assert len(example.strip().splitlines()) <= 16
    exec(compile(example, str(README), "exec"), {})
    score = float(capsys.readouterr().out.split("macro F1:")[1])
    # 5 classes: a constant or random predictor scores about 0.2 or less
    assert score > 0.5
