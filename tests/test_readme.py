"""The README is true: its usage example runs, its layout lists the package."""

import re
from pathlib import Path

import pytest

README = Path(__file__).resolve().parents[1] / "README.md"


def test_readme_mentions_the_two_commands():
    text = README.read_text()
    assert "make demo" in text and "make test" in text


@pytest.mark.slow
def test_readme_usage_example_runs(capsys):
    blocks = re.findall(r"```python\n(.*?)```", README.read_text(), flags=re.S)
    assert blocks, "README has no python example"
    example = blocks[0]
    assert len(example.strip().splitlines()) <= 16
    exec(compile(example, str(README), "exec"), {})
    score = float(capsys.readouterr().out.split("macro F1:")[1])
    # 5 classes: a constant or random predictor scores about 0.2 or less
    assert score > 0.5


def test_readme_layout_names_every_module_and_nothing_else():
    """The layout block stays true: each top-level module and subpackage is listed, and
    each listed path exists (the docs include the same block)."""
    text = README.read_text()
    block = text.split("## Layout", 1)[1].split("```")[1]
    listed = set(re.findall(r"^(skvideo_imb/\S+)", block, flags=re.M))
    package = README.parent / "skvideo_imb"
    present = {f"skvideo_imb/{p.name}" for p in package.iterdir()
               if (p.suffix == ".py" and p.name not in ("__init__.py", "__main__.py",
                                                         "_version.py"))
               or (p.is_dir() and (p / "__init__.py").exists())}
    assert listed == present
