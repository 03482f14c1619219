"""`mlcards import hf`: Hugging Face README.md cards -> card.yaml + evaluation.yaml.

The fixtures in tests/data/interop/ are written by hand after the Hugging Face
model card template and real cards (a DistilBERT-style text classifier, a ViT
card following the template with model-index, a front-matter-only card, an
LLM card with `.eval_results/*.yaml`).
"""

from __future__ import annotations

import re
import shutil
from pathlib import Path
from typing import Any

import pytest
import yaml

from mlcards.cli import main
from mlcards.commands.init import SCAFFOLD
from mlcards.errors import InvalidInput
from mlcards.validate.registry import load_registry

DATA = Path(__file__).parent / "data" / "interop"


def registry(tmp_path: Path) -> Path:
    """An empty registry (config only) to import into."""
    root = tmp_path / "reg"
    (root / "models").mkdir(parents=True)
    shutil.copyfile(SCAFFOLD / "mlcards.yaml", root / "mlcards.yaml")
    return root


def import_hf(tmp_path: Path, name: str, capsys: pytest.CaptureFixture[str],
              *extra: str, model_id: str | None = None) -> tuple[Path, str]:
    """Import fixture `hf_<name>` into a fresh registry; return the version folder, stdout."""
    root = registry(tmp_path)
    out = root / "models" / (model_id or name) / "1.0.0"
    rc = main(["import", "hf", str(DATA / f"hf_{name}" / "README.md"), "-o", str(out), *extra])
    captured = capsys.readouterr()
    assert rc == 0, captured.err
    return out, captured.out


def load(path: Path) -> Any:
    return yaml.safe_load(path.read_text(encoding="utf-8"))


def strings(value: Any) -> list[str]:
    """Every string (keys of mappings too) inside a YAML value."""
    if isinstance(value, str):
        return [value]
    if isinstance(value, dict):
        return [s for k, v in value.items() for s in [str(k), *strings(v)]]
    if isinstance(value, list):
        return [s for v in value for s in strings(v)]
    return []


def sections(card: dict[str, Any]) -> dict[str, str]:
    """The card's additional sections as {'Parent / Title': text}."""
    return {" / ".join([*s.get("parents", []), s["title"]]): s["text"]
            for s in card.get("additional_sections", [])}


def test_bert_style_text_classifier(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out, report = import_hf(tmp_path, "bert", capsys, "--date", "2020-03-01")
    card = load(out / "card.yaml")
    details = card["model_details"]
    assert details["name"] == "DistilBERT base uncased finetuned SST-2"
    assert details["license"] == "apache-2.0"
    assert details["library"] == "transformers"
    assert details["base_model"] == "distilbert-base-uncased"
    assert details["task"] == "text-classification"
    assert details["type"] == "Text Classification"
    assert details["owners"] == [{"name": "Hugging Face"}]  # from "Developed by"
    assert str(details["date"]) == "2020-03-01"
    assert "fine-tune checkpoint" in details["description"]
    assert card["tags"] == ["sentiment-analysis", "distilbert"]
    assert [d["name"] for d in card["training_data"]["datasets"]] == ["sst2", "glue"]
    assert "Stanford Sentiment Treebank" in card["training_data"]["motivation"]
    assert "topic classification" in card["intended_use"]["primary_uses"]
    assert "hostile or alienating" in card["intended_use"]["out_of_scope"]
    assert "biased predictions" in card["caveats_and_recommendations"]
    assert "custom" not in card  # the registry's own namespace: an import writes nothing there
    assert card["provenance"]["format"] == "huggingface"
    assert card["provenance"]["metadata"] == {"language": ["en"]}
    assert card["provenance"]["imported_with"].startswith("mlcards ")
    unmapped = sections(card)
    assert set(unmapped) == {"Table of Contents", "How to Get Started With the Model",
                             "Training"}
    assert "learning_rate = 1e-5" in unmapped["Training"]
    assert "DistilBertForSequenceClassification" in unmapped["How to Get Started With the Model"]
    assert "additional section 'Training'" in report
    assert "front matter 'license' -> model_details.license" in report


def test_bert_model_index_becomes_evaluation(tmp_path: Path,
                                             capsys: pytest.CaptureFixture[str]) -> None:
    out, _ = import_hf(tmp_path, "bert", capsys)
    evaluation = load(out / "evaluation.yaml")
    assert evaluation["dataset"] == {"name": "glue", "split": "validation",
                                     "url": "https://huggingface.co/datasets/glue/viewer/sst2"}
    assert [(m["name"], m["description"]) for m in evaluation["metrics"]] == [
        ("accuracy", "Accuracy"), ("f1", "F1")]
    results = [(r["metric"], r.get("slice", {}), r["value"]) for r in evaluation["results"]]
    assert results == [
        ("accuracy", {}, 0.9105504587155964),
        ("f1", {}, 0.9115646258503401),
        ("accuracy", {"dataset": "sst2", "config": "default", "split": "train"},
         0.9885521685548412),
    ]


def test_template_card_with_placeholders(tmp_path: Path,
                                         capsys: pytest.CaptureFixture[str]) -> None:
    out, report = import_hf(tmp_path, "vit", capsys)
    text = (out / "card.yaml").read_text(encoding="utf-8")
    assert "More Information Needed" not in text
    assert "<!--" not in text
    card = yaml.safe_load(text)
    details = card["model_details"]
    assert details["name"] == "vit-base-patch16-224"  # "Model Card for " dropped
    assert details["type"] == "Vision Transformer (ViT-B/16)"
    assert details["base_model"] == "google/vit-base-patch16-224-in21k"
    assert details["repository"] == "https://github.com/google-research/vision_transformer"
    assert details["references"] == [{"title": "Paper: An Image is Worth 16x16 Words",
                                      "url": "https://arxiv.org/abs/2010.11929"}]
    assert details["owners"] == [{"name": "Niels Rogge", "email": "niels@example.com"},
                                 {"name": "Jane Doe"}]
    assert details["questions"] == "vision-team@example.com"
    assert "@misc{dosovitskiy2020image" in details["citation"]
    assert details["description"].startswith("Vision Transformer (ViT) model pre-trained")
    assert "Backbone for fine-tuning" in card["intended_use"]["primary_uses"]
    assert card["ethical_considerations"]["mitigations"].startswith("Evaluate on images")
    assert card["training_data"]["preprocessing"].startswith("Images are resized")
    assert card["evaluation_data"]["motivation"].startswith("The ImageNet-1k validation set")
    assert card["metrics"]["performance_measures"] == "Top-1 and top-5 accuracy."
    assert "| ImageNet-1k | 81.1 |" in card["quantitative_analyses"]["unitary"]
    assert "factors" not in card  # only a placeholder in the source
    assert card["provenance"]["metadata"]["co2_eq_emissions"]["emissions"] == 1200
    unmapped = sections(card)
    assert "TPUv3" in unmapped["Environmental Impact"]
    assert details["training"]["hyperparameters"] == {
        "Training regime": "fp32, batch size 4096, learning rate warmup of 10k steps"}
    assert card["provenance"]["headings"]["model_details.training.hyperparameters"] == [
        "Training Details", "Training Procedure", "Training Hyperparameters"]
    assert "# Model Card for nothing" in unmapped["How to Get Started with the Model"]
    assert re.search(r"dropped \d+ template placeholders", report)


def test_template_card_value_with_error_becomes_interval(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out, _ = import_hf(tmp_path, "vit", capsys)
    evaluation = load(out / "evaluation.yaml")
    real = [r for r in evaluation["results"] if r.get("slice")]
    assert real == [{"metric": "accuracy", "slice": {"dataset": "imagenet_real",
                                                     "split": "validation"},
                     "value": 86.4, "ci": [86.2, 86.6]}]
    assert evaluation["metrics"][0] == {"name": "accuracy", "description": "Top-1 Accuracy",
                                        "higher_is_better": True, "headline": True}


def test_import_never_loses_body_text(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """Every line of the body (but headings, comments and placeholders) is in card.yaml."""
    for name in ("bert", "vit", "llm"):
        out, _ = import_hf(tmp_path / name, name, capsys)
        card = load(out / "card.yaml")
        training = card["model_details"].get("training", {})
        pairs = [f"{k}: {v}" for key in ("hyperparameters", "framework_versions")
                 for k, v in training.get(key, {}).items()]  # '- key: value' bullets
        everything = "\n".join([*strings(card), *pairs])
        body = (DATA / f"hf_{name}" / "README.md").read_text(encoding="utf-8").split("---\n", 2)[2]
        for line in body.splitlines():
            line = line.strip()
            if not line or line.startswith(("#", "<!--")) or "More Information Needed" in line:
                continue
            if line.startswith("- "):  # bullets may be parsed into fields: every word kept
                words = re.findall(r"[\w@.:/-]{3,}", re.sub(r"\*\*[^*]+:\*\*", "", line))
                assert all(w in everything for w in words), (name, line)
            else:
                assert line in everything, (name, line)


def test_front_matter_only_card_gets_marked_placeholders(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out, report = import_hf(tmp_path, "minimal", capsys)
    card = load(out / "card.yaml")
    assert card["model_details"]["task"] == "tabular-classification"
    assert card["model_details"]["library"] == "sklearn"
    assert card["model_details"]["owners"] == [{"name": "TODO: model owner"}]
    assert card["model_details"]["date"].startswith("TODO:")  # no real-looking fake date
    assert "placeholder: model_details.owners" in report
    assert "placeholder: model_details.date" in report
    assert not (out / "evaluation.yaml").exists()
    root = out.parents[2]
    assert load_registry(root).versions()[0].card.model_details.id == "minimal"
    with pytest.raises(InvalidInput) as caught:
        load_registry(root, strict=True)
    fields = {p.field for p in caught.value.problems}
    assert "model_details.owners[0].name" in fields
    assert "model_details.description" in fields
    assert "model_details.date" in fields


def test_flags_fill_required_fields(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out, report = import_hf(tmp_path, "minimal", capsys, "--owner", "Ana Lima <ana@example.com>",
                            "--date", "2024-05-01", "--task", "binary-classification")
    details = load(out / "card.yaml")["model_details"]
    assert details["owners"] == [{"name": "Ana Lima", "email": "ana@example.com"}]
    assert str(details["date"]) == "2024-05-01"
    assert details["task"] == "binary-classification"
    assert "placeholder: model_details.owners" not in report


def test_eval_results_folder_is_read(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out, _ = import_hf(tmp_path, "llm", capsys, "--owner", "LLM team")
    card = load(out / "card.yaml")
    assert str(card["model_details"]["date"]) == "2025-02-01"  # latest .eval_results date
    assert card["model_details"]["license"] == "other"
    assert card["model_details"]["base_model"] == "example-org/base-7b"
    assert card["provenance"]["metadata"]["license_name"] == "example-community-license"
    assert card["provenance"]["metadata"]["language"] == ["en", "fr", "de"]
    evaluation = load(out / "evaluation.yaml")
    assert evaluation["dataset"] == {"name": "Idavidrein/gpqa",
                                     "url": "https://huggingface.co/datasets/Idavidrein/gpqa"}
    assert str(evaluation["date"]) == "2025-02-01"
    results = [(r["metric"], r.get("slice", {}), r["value"]) for r in evaluation["results"]]
    assert results == [("gpqa_diamond", {}, 0.412),
                       ("score", {"dataset": "TIGER-Lab/MMLU-Pro"}, 61.5),
                       ("score", {"dataset": "cais/hle"}, 4.2)]
    assert "5-shot, chain-of-thought" in evaluation["notes"]
    assert "Example leaderboard" in evaluation["notes"]


def test_imported_registry_validates(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    root = registry(tmp_path)
    for name in ("bert", "vit", "minimal", "llm"):
        out = root / "models" / name / "1.0.0"
        assert main(["import", "hf", str(DATA / f"hf_{name}" / "README.md"), "-o",
                     str(out)]) == 0
    reg = load_registry(root)
    assert sorted(m.id for m in reg.models) == ["bert", "llm", "minimal", "vit"]
    assert all(v.evaluation is not None for v in reg.versions() if v.model_id != "minimal")
    first = (root / "models/bert/1.0.0/card.yaml").read_text(encoding="utf-8").splitlines()[0]
    assert first == "# yaml-language-server: $schema=../../../schemas/card.schema.json"
    assert main(["validate", str(root)]) == 0
    capsys.readouterr()


def test_import_is_deterministic_and_refuses_to_overwrite(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out, _ = import_hf(tmp_path, "vit", capsys)
    before = {p.name: p.read_bytes() for p in out.iterdir()}
    src = str(DATA / "hf_vit" / "README.md")
    assert main(["import", "hf", src, "-o", str(out)]) == 1
    assert "pass --force" in capsys.readouterr().err
    (out / "card.yaml").write_text("changed", encoding="utf-8")
    assert main(["import", "hf", src, "-o", str(out), "--force"]) == 0
    assert {p.name: p.read_bytes() for p in out.iterdir()} == before


def test_id_and_version_flags(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "anywhere"
    assert main(["import", "hf", str(DATA / "hf_vit" / "README.md"), "-o", str(out),
                 "--id", "vit-base", "--version", "2.0.1"]) == 0
    details = load(out / "card.yaml")["model_details"]
    assert (details["id"], details["version"]) == ("vit-base", "2.0.1")
    assert main(["import", "hf", str(DATA / "hf_vit" / "README.md"), "-o",
                 str(tmp_path / "x"), "--id", "Not A Slug"]) == 1
    assert "pass --id" in capsys.readouterr().err


CORPUS = DATA / "corpus"


def test_trainer_sections_become_training_fields_and_come_back(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """hyperparameters and framework versions as mappings, the results table as a table,
    and the export writes them under the card's own headings again."""
    readme = CORPUS / "hf" / "sgugger__bert-finetuned-mrpc" / "README.md"
    first = registry(tmp_path / "a") / "models" / "mrpc" / "1.0.0"
    assert main(["import", "hf", str(readme), "-o", str(first)]) == 0
    card = load(first / "card.yaml")
    training = card["model_details"]["training"]
    assert training["hyperparameters"]["learning_rate"] == "5e-05"
    assert training["hyperparameters"]["optimizer"] == \
        "Adam with betas=(0.9,0.999) and epsilon=1e-08"
    assert len(training["hyperparameters"]) == 11
    assert training["framework_versions"] == {"Transformers": "4.11.0.dev0",
                                              "Pytorch": "1.8.1+cu111",
                                              "Datasets": "1.10.3.dev0", "Tokenizers": "0.10.3"}
    assert training["results"]["columns"] == ["Training Loss", "Epoch", "Step",
                                              "Validation Loss", "Accuracy", "F1",
                                              "Combined Score"]
    assert training["results"]["rows"][2] == ["0.4264", "3.0", "690", "0.5152", "0.8603",
                                              "0.9032", "0.8818"]
    assert not any("Training" in s["title"] for s in card.get("additional_sections", []))
    exported = tmp_path / "README.md"
    assert main(["export", "hf", str(first), "-o", str(exported)]) == 0
    text = exported.read_text(encoding="utf-8")
    assert "# bert-finetuned-mrpc\n" in text  # the card's own title, not "Model Card for"
    assert re.search(r"^## Training procedure\n+### Training hyperparameters\n+The following "
                     r"hyperparameters were used during training:\n+- learning_rate: 5e-05$",
                     text, re.MULTILINE)
    assert "| No log | 1.0 | 230 | 0.3668 | 0.8431 | 0.8881 | 0.8656 |" in text
    assert "- Pytorch 1.8.1+cu111" in text
    second = registry(tmp_path / "b") / "models" / "mrpc" / "1.0.0"
    assert main(["import", "hf", str(exported), "-o", str(second)]) == 0
    again = load(second / "card.yaml")
    assert again["model_details"]["training"] == training
    assert again.get("additional_sections") == card.get("additional_sections")
    capsys.readouterr()


def test_a_second_section_for_a_filled_field_keeps_its_own_heading(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    readme = tmp_path / "README.md"
    readme.write_text("---\nlicense: mit\n---\n# Tiny\n\nA tiny model.\n\n"
                      "## Limitations\n\nShort inputs only.\n\n"
                      "## Bias\n\nEnglish only.\n", encoding="utf-8")
    out = registry(tmp_path) / "models" / "tiny" / "1.0.0"
    assert main(["import", "hf", str(readme), "-o", str(out)]) == 0
    card = load(out / "card.yaml")
    assert card["caveats_and_recommendations"] == "Short inputs only."
    assert sections(card) == {"Bias": "English only."}
    assert card["provenance"]["headings"]["caveats_and_recommendations"] == ["Limitations"]
    exported = tmp_path / "out.md"
    assert main(["export", "hf", str(out), "-o", str(exported)]) == 0
    text = exported.read_text(encoding="utf-8")
    assert "## Limitations\n\nShort inputs only." in text
    assert "## Bias\n\nEnglish only." in text
    capsys.readouterr()
