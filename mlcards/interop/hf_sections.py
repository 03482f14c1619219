"""Which Hugging Face model card heading holds which mlcards card field.

One table serves both directions: the importer finds a field by a heading's
normalised title (or an alias; some only under a given parent), the exporter
writes each field under `heading`, nested in `parents`, in table order, which
follows the Hugging Face model card template.
"""

from __future__ import annotations

from dataclasses import dataclass

from mlcards.interop.markdown import normalize_title


@dataclass(frozen=True)
class Slot:
    """A card field and where it lives in a Hugging Face card body."""

    field: tuple[str, ...]
    heading: str
    parents: tuple[str, ...] = ()
    aliases: tuple[str, ...] = ()
    scope: str | None = None
    """Normalised title an ancestor must start with for the aliases to apply."""
    kind: str = "text"
    """'text', or a special parser: 'sources', 'owners', 'risks', 'table', and the
    trainer's 'hyperparameters', 'frameworks', 'grid'."""

    def titles(self) -> set[str]:
        return {normalize_title(self.heading), *self.aliases}


DETAILS = ("Model Details",)
USES = ("Uses",)
BIAS = ("Bias, Risks, and Limitations",)
TESTING = ("Evaluation", "Testing Data, Factors & Metrics")
ETHICS = ("Ethical Considerations",)
TECH = ("Technical Specifications",)
TRAINING = ("Training Details", "Training Procedure")

SLOTS: tuple[Slot, ...] = (
    Slot(("model_details", "description"), "Model Description", DETAILS,
         ("model details", "model summary", "model overview", "overview", "description",
          "model description")),
    Slot(("model_details", "references"), "Model Sources", DETAILS, kind="sources"),
    Slot(("intended_use", "primary_uses"), "Direct Use", USES,
         ("uses", "intended use", "intended uses", "intended uses and limitations",
          "primary intended uses", "direct application", "intended use cases")),
    Slot(("intended_use", "primary_users"), "Intended Users", USES,
         ("primary intended users", "users")),
    Slot(("intended_use", "out_of_scope"), "Out-of-Scope Use", USES,
         ("out of scope use", "out of scope uses", "out of scope", "misuse and out of scope use",
          "out of scope use cases")),
    Slot(("caveats_and_recommendations",), "Bias, Risks, and Limitations", (),
         ("limitations and bias", "limitations and biases", "limitations", "bias",
          "risks and limitations", "caveats and recommendations", "bias and limitations",
          "risks limitations and biases", "bias risks limitations")),
    Slot(("ethical_considerations", "mitigations"), "Recommendations", BIAS,
         ("recommendations", "mitigations")),
    Slot(("training_data", "motivation"), "Training Data", ("Training Details",),
         ("training data", "training and evaluation data", "training dataset")),
    Slot(("training_data", "preprocessing"), "Preprocessing",
         ("Training Details", "Training Procedure"), ("preprocessing",)),
    Slot(("model_details", "training", "hyperparameters"), "Training Hyperparameters",
         TRAINING, ("training hyperparameters", "hyperparameters"), kind="hyperparameters"),
    Slot(("model_details", "training", "results"), "Training Results", TRAINING,
         ("training results",), kind="grid"),
    Slot(("model_details", "training", "framework_versions"), "Framework Versions", TRAINING,
         ("framework versions",), kind="frameworks"),
    Slot(("evaluation_data", "motivation"), "Testing Data", TESTING,
         ("testing data", "evaluation data", "test data")),
    Slot(("evaluation_data", "preprocessing"), "Testing Data Preprocessing", TESTING,
         ("evaluation data preprocessing",)),
    Slot(("factors", "relevant"), "Factors", TESTING, ("factors", "relevant factors")),
    Slot(("factors", "evaluation"), "Evaluation Factors", TESTING),
    Slot(("metrics", "performance_measures"), "Metrics", TESTING,
         ("metrics", "performance measures", "model performance measures")),
    Slot(("metrics", "decision_thresholds"), "Decision Thresholds", TESTING),
    Slot(("metrics", "variation_approaches"), "Variation Approaches", TESTING),
    Slot(("quantitative_analyses", "unitary"), "Results", ("Evaluation",),
         ("results", "evaluation results", "quantitative analyses", "unitary results")),
    Slot(("quantitative_analyses", "intersectional"), "Intersectional Results", ("Evaluation",)),
    Slot(("evaluation", "results"), "Disaggregated Results", ("Evaluation",), kind="table"),
    Slot(("ethical_considerations", "data"), "Data", ETHICS, ("data",),
         scope="ethical considerations"),
    Slot(("ethical_considerations", "human_life"), "Human Life", ETHICS),
    Slot(("ethical_considerations", "risks"), "Risks and Harms", ETHICS, kind="risks"),
    Slot(("ethical_considerations", "use_cases"), "Use Cases", ETHICS, ("use cases",),
         scope="ethical considerations"),
    Slot(("model_details", "architecture"), "Model Architecture and Objective", TECH,
         ("model architecture", "architecture")),
    Slot(("model_details", "input_format"), "Input Format", TECH, ("inputs",)),
    Slot(("model_details", "output_format"), "Output Format", TECH, ("outputs",)),
    Slot(("model_details", "citation"), "Citation", (),
         ("bibtex entry and citation info", "citation information", "how to cite",
          "citing", "bibtex")),
    Slot(("model_details", "owners"), "Model Card Authors", (), ("authors",), kind="owners"),
    Slot(("model_details", "questions"), "Model Card Contact", (), ("contact",)),
)

_SCOPED = {t: s for s in SLOTS if s.scope for t in s.titles()}
_PLAIN = {t: s for s in SLOTS if not s.scope for t in s.titles()}


def find_slot(title: str, ancestors: list[str]) -> Slot | None:
    """The slot a heading maps to, given its ancestors' titles (outermost first)."""
    key = normalize_title(title)
    scoped = _SCOPED.get(key)
    if scoped is not None and any(normalize_title(a).startswith(scoped.scope or "")
                                  for a in ancestors):
        return scoped
    return _PLAIN.get(key)


BULLET = r"^[-*+]\s+\*\*(?P<label>[^*]+?):?\*\*:?[ \t]*(?P<value>.*)$"
"""'- **Model type:** text' bullets of the template's Model Description and Sources."""

DESCRIPTION_BULLETS = {
    "model type": ("model_details", "type"),
    "license": ("model_details", "license"),
    "finetuned from model": ("model_details", "base_model"),
    "fine tuned from model": ("model_details", "base_model"),
    "developed by": ("model_details", "owners"),
}
EXPORT_BULLETS = (("Model type", "type"), ("License", "license"),
                  ("Finetuned from model", "base_model"))
