"""Vocabulary of evaluation metrics and common benchmark names (data only, no extraction logic).

The metric ids follow the annotation guidelines in ``GUIDELINES.md``. Each definition lists
the names under which a metric appears in abstracts; the extractor in ``pipeline.metrics``
builds its patterns from these aliases. Aliases written with an upper-case letter are matched
case-sensitively (``IS``, ``AP``, ``EM`` would be everyday words otherwise); lower-case
aliases are matched in any case.
"""

from __future__ import annotations

from dataclasses import dataclass

import polars as pl


@dataclass(frozen=True)
class MetricDefinition:
    """One canonical metric: its id, how it is written, its unit and plausible value range."""

    id: str
    display_name: str
    aliases: tuple[str, ...]
    unit: str = ""
    higher_is_better: bool | None = None
    min_value: float | None = None
    max_value: float | None = None


def _metric(
    id_: str,
    display_name: str,
    aliases: tuple[str, ...],
    unit: str = "",
    higher: bool | None = True,
    low: float | None = 0.0,
    high: float | None = None,
) -> MetricDefinition:
    return MetricDefinition(id_, display_name, aliases, unit, higher, low, high)


# Percentage-like metrics are also often written as fractions (0.86); both fit in [0, 100].
METRICS: tuple[MetricDefinition, ...] = (
    _metric(
        "fid",
        "FID",
        ("FID", "rFID", "gFID", "FID score", "frechet inception distance", "fréchet inception distance"),
        higher=False,
    ),
    _metric("inception_score", "Inception Score", ("IS", "inception score")),
    _metric("fvd", "FVD", ("FVD",), higher=False),
    _metric("lpips", "LPIPS", ("LPIPS",), higher=False, high=1.0),
    _metric("psnr", "PSNR", ("PSNR",), unit="dB", high=100.0),
    _metric("ssim", "SSIM", ("SSIM", "MS-SSIM"), low=-1.0, high=1.0),
    _metric("clip_score", "CLIP score", ("CLIP score", "CLIP-score", "CLIPScore"), high=100.0),
    _metric(
        "bits_per_dim", "bits/dim", ("bits/dim", "bits per dim", "bits per dimension", "bpd"), higher=False
    ),
    _metric("perplexity", "Perplexity", ("perplexity", "perplexities", "PPL"), higher=False, low=1.0),
    _metric(
        "top1_accuracy",
        "Top-1 accuracy",
        ("top-1 accuracy", "top-1 accuracies", "top-1 acc", "top1 accuracy", "top-1"),
        unit="%",
        high=100.0,
    ),
    _metric(
        "top5_accuracy", "Top-5 accuracy", ("top-5 accuracy", "top-5 acc", "top5 accuracy"), "%", high=100.0
    ),
    _metric(
        "accuracy",
        "Accuracy",
        ("accuracy", "accuracies", "acc", "classification accuracy", "test accuracy"),
        unit="%",
        high=100.0,
    ),
    _metric(
        "error_rate",
        "Error rate",
        ("error", "errors", "error rate", "error rates", "top-1 error", "top-5 error", "test error"),
        unit="%",
        higher=False,
        high=100.0,
    ),
    _metric(
        "f1",
        "F1",
        (
            "F1",
            "F1 score",
            "F1-score",
            "F-score",
            "F-measure",
            "macro F1",
            "micro F1",
            "macro-F1",
            "micro-F1",
        ),
        high=100.0,
    ),
    _metric("precision", "Precision", ("precision",), high=100.0),
    _metric(
        "recall", "Recall", ("recall", "recall@1", "recall@5", "recall@10", "R@1", "R@5", "R@10"), high=100.0
    ),
    _metric("auc", "AUC", ("AUC", "AUROC", "ROC-AUC", "AUC-ROC"), high=100.0),
    _metric("map", "mAP", ("mAP", "box mAP", "mask mAP", "mean average precision"), unit="%", high=100.0),
    _metric(
        "ap",
        "AP",
        ("AP", "box AP", "mask AP", "AP50", "AP75", "APbox", "APmask", "AP^box", "average precision"),
        unit="%",
        high=100.0,
    ),
    _metric("miou", "mIoU", ("mIoU", "mIOU", "mean IoU", "mean IU"), unit="%", high=100.0),
    _metric("iou", "IoU", ("IoU", "IOU"), unit="%", high=100.0),
    _metric("dice", "Dice", ("Dice", "DSC", "Dice score", "Dice coefficient"), high=100.0),
    _metric("pq", "PQ", ("PQ", "panoptic quality"), high=100.0),
    _metric("bleu", "BLEU", ("BLEU", "BLEU score", "sacreBLEU", "SacreBLEU"), high=100.0),
    _metric("rouge", "ROUGE", ("ROUGE", "ROUGE-1", "ROUGE-2", "ROUGE-L"), high=100.0),
    _metric("meteor", "METEOR", ("METEOR",), high=100.0),
    _metric("cider", "CIDEr", ("CIDEr", "CIDEr-D")),
    _metric("spice", "SPICE", ("SPICE",), high=100.0),
    _metric("exact_match", "Exact match", ("EM", "exact match"), high=100.0),
    _metric("wer", "WER", ("WER", "word error rate", "word error rates"), "%", higher=False),
    _metric("cer", "CER", ("CER", "character error rate", "character error rates"), "%", higher=False),
    _metric("eer", "EER", ("EER", "equal error rate"), "%", higher=False, high=100.0),
    _metric("mos", "MOS", ("MOS", "mean opinion score"), low=1.0, high=5.0),
    _metric("r2", "R²", ("R2", "R²", "R^2", "coefficient of determination"), low=None, high=100.0),
    _metric("rmse", "RMSE", ("RMSE", "root mean squared error", "root mean square error"), higher=False),
    _metric("mae", "MAE", ("MAE", "mean absolute error"), higher=False),
    _metric("mse", "MSE", ("MSE", "mean squared error", "mean square error"), higher=False),
    _metric(
        "correlation",
        "Correlation",
        ("Pearson", "Spearman", "correlation", "correlations", "correlation coefficient"),
        low=-1.0,
        high=100.0,
    ),
    _metric(
        "speedup",
        "Speedup",
        ("speedup", "speed-up", "faster", "times faster", "higher throughput"),
        unit="x",
        low=0.0,
    ),
    _metric("fps", "FPS", ("FPS", "fps", "frames per second"), unit="fps"),
    _metric("success_rate", "Success rate", ("success rate", "success rates"), "%", high=100.0),
    _metric("reward", "Reward", ("reward", "average return", "episode return"), low=None),
    MetricDefinition("other", "Other", (), "", None, None, None),
)

METRICS_BY_ID: dict[str, MetricDefinition] = {definition.id: definition for definition in METRICS}

# Benchmarks that appear often enough to recognise even without an "on <Name>" phrase.
KNOWN_BENCHMARKS: tuple[str, ...] = (
    "ImageNet",
    "ImageNet-1K",
    "ImageNet-1k",
    "ImageNet-21K",
    "ImageNet-22K",
    "ImageNet-22k",
    "ADE20K",
    "ADE20k",
    "COCO",
    "MS-COCO",
    "MSCOCO",
    "Cityscapes",
    "CIFAR-10",
    "CIFAR-100",
    "CIFAR10",
    "CIFAR100",
    "MNIST",
    "Fashion-MNIST",
    "SVHN",
    "LibriSpeech",
    "TIMIT",
    "CALLHOME",
    "Switchboard",
    "WSJ",
    "AISHELL-1",
    "AISHELL-2",
    "Pascal VOC",
    "PASCAL VOC",
    "VOC",
    "KITTI",
    "nuScenes",
    "SQuAD",
    "GLUE",
    "SuperGLUE",
    "MMLU",
    "GSM8K",
    "HumanEval",
    "Kinetics-400",
    "Kinetics-600",
    "UCF101",
    "UCF-101",
    "HMDB51",
    "LSUN",
    "CelebA",
    "CelebA-HQ",
    "FFHQ",
    "Penn Treebank",
    "WikiText-103",
    "WikiText-2",
    "enwik8",
    "text8",
    "LAMBADA",
    "ScanNet",
    "ShapeNet",
    "ModelNet40",
    "Places365",
    "iNaturalist",
    "CUB",
    "Flickr30K",
    "Flickr30k",
    "NYU Depth",
    "NYUv2",
    "Atari",
    "MuJoCo",
)


def metric_definitions() -> pl.DataFrame:
    """One row per metric id (the guideline vocabulary plus ``other``), for the warehouse."""
    return pl.DataFrame(
        {
            "metric": [d.id for d in METRICS],
            "display_name": [d.display_name for d in METRICS],
            "aliases": [list(d.aliases) for d in METRICS],
            "unit": [d.unit for d in METRICS],
            "higher_is_better": [d.higher_is_better for d in METRICS],
            "min_value": [d.min_value for d in METRICS],
            "max_value": [d.max_value for d in METRICS],
        },
        schema={
            "metric": pl.String,
            "display_name": pl.String,
            "aliases": pl.List(pl.String),
            "unit": pl.String,
            "higher_is_better": pl.Boolean,
            "min_value": pl.Float64,
            "max_value": pl.Float64,
        },
    )
