"""Tests for benchmark attribution (the `dataset` column) of the reported-results extractor.

Every sentence here is written for the test: each case exercises one general rule of how abstracts
name the benchmark a number is on (clauses, lists, parentheses, pre-training data, settings).
"""

from __future__ import annotations

import polars as pl
import pytest

from pipeline.metrics import extract_metrics


def results(abstract: str) -> list[tuple]:
    """(metric, value, kind, dataset) for every result of one abstract, in order of the numbers' positions."""
    out = extract_metrics(pl.DataFrame({"paper_id": ["p"], "abstract": [abstract]}))
    rows = out.select("metric", "value", "kind", "dataset", "evidence", "span_start").iter_rows()
    return [row[:4] for row in sorted(rows, key=lambda r: r[5] + _value_offset(r[4], r[1]))]


def _value_offset(evidence: str, value: float) -> int:
    """Where the value sits inside its evidence, so that a list's values keep their written order."""
    text = f"{value:g}"
    return evidence.find(text) if text in evidence else 0


DATASET_CASES = [
    pytest.param(
        "On COCO, our detector reaches 50.1 AP, and on LVIS it obtains 40.2 AP.",
        [("ap", 50.1, "score", "COCO"), ("ap", 40.2, "score", "LVIS")],
        id="a_benchmark_in_the_next_clause_belongs_to_the_next_number",
    ),
    pytest.param(
        "We report 82.1% top-1 accuracy with a model pre-trained on ImageNet-21K.",
        [("top1_accuracy", 82.1, "score", None)],
        id="pre_training_data_is_not_the_benchmark",
    ),
    pytest.param(
        "It attains FID scores of 2.3 and 4.1 on CIFAR-10 and CelebA-HQ.",
        [("fid", 2.3, "score", "CIFAR-10"), ("fid", 4.1, "score", "CelebA-HQ")],
        id="two_values_and_two_benchmarks_pair_up_in_order",
    ),
    pytest.param(
        "Experiments on the Kinetics-400 and Something-Something V2 datasets show top-1 accuracy of "
        "84.1% and 70.2%, respectively.",
        [
            ("top1_accuracy", 84.1, "score", "Kinetics-400"),
            ("top1_accuracy", 70.2, "score", "Something-Something V2"),
        ],
        id="respectively_pairs_values_with_a_list_named_before_them",
    ),
    pytest.param(
        "It reaches 60.2 AP, 41.4 mAP and 77.2 mIoU when transferred to Pascal VOC detection, "
        "COCO detection and Cityscapes segmentation.",
        [
            ("ap", 60.2, "score", "Pascal VOC"),
            ("map", 41.4, "score", "COCO"),
            ("miou", 77.2, "score", "Cityscapes"),
        ],
        id="a_list_of_results_pairs_with_a_list_of_benchmarks_with_task_words",
    ),
    pytest.param(
        "We set new records of 91.2 F1 and 88.4 EM on SQuAD 1.1.",
        [("f1", 91.2, "score", "SQuAD 1.1"), ("exact_match", 88.4, "score", "SQuAD 1.1")],
        id="coordinated_results_share_the_benchmark_named_after_the_last",
    ),
    pytest.param(
        "Our agent achieves a success rate of 62% on ALFWorld and 45% on WebShop, outperforming ReAct by "
        "12% and 8%.",
        [
            ("success_rate", 62.0, "score", "ALFWorld"),
            ("success_rate", 45.0, "score", "WebShop"),
            ("success_rate", 12.0, "delta", "ALFWorld"),
            ("success_rate", 8.0, "delta", "WebShop"),
        ],
        id="a_parallel_list_of_differences_takes_the_benchmarks_of_the_scores_before_it",
    ),
    pytest.param(
        "It obtains 48.2 AP on COCO and 50.1 mIoU on ADE20K, surpassing Swin-B by 1.1 AP and 1.5 mIoU, "
        "respectively.",
        [
            ("ap", 48.2, "score", "COCO"),
            ("miou", 50.1, "score", "ADE20K"),
            ("ap", 1.1, "delta", "COCO"),
            ("miou", 1.5, "delta", "ADE20K"),
        ],
        id="a_by_cue_makes_every_value_of_a_coordinated_list_a_difference",
    ),
    pytest.param(
        "Our fully convolutional network improves segmentation of PASCAL VOC (67.2% mean IU) and of NYUDv2.",
        [("miou", 67.2, "score", "PASCAL VOC")],
        id="a_value_in_parentheses_is_on_the_benchmark_the_parenthesis_explains",
    ),
    pytest.param(
        "Our model reaches 91% accuracy on sequential CIFAR-10 and sets a new record on the Long Range "
        "Arena.",
        [("accuracy", 91.0, "score", "CIFAR-10")],
        id="a_known_benchmark_behind_a_plain_modifier_is_still_found",
    ),
    pytest.param(
        "Our method achieves a top-1 accuracy of 85.1% on ImageNet and transfers well to COCO, reaching "
        "52.0 box AP.",
        [("top1_accuracy", 85.1, "score", "ImageNet"), ("ap", 52.0, "score", "COCO")],
        id="a_result_takes_the_nearest_earlier_benchmark_no_other_result_claims",
    ),
    pytest.param(
        "The policy reaches a 64.2% success rate on CALVIN, and an 85% success rate in real-world "
        "experiments.",
        [("success_rate", 64.2, "score", "CALVIN"), ("success_rate", 85.0, "score", None)],
        id="a_real_world_setting_is_not_the_benchmark_named_elsewhere",
    ),
    pytest.param(
        "Our model improves 2.1 AP and 1.5 mIoU over ResNet-50 and Swin-T.",
        [("ap", 2.1, "delta", None), ("miou", 1.5, "delta", None)],
        id="models_after_over_are_competitors_not_benchmarks",
    ),
    pytest.param(
        "Experiments on 10 datasets show an average 6.45% accuracy improvement over state-of-the-art TSC "
        "models.",
        [("accuracy", 6.45, "delta", None)],
        id="a_name_followed_by_models_is_a_model_family",
    ),
    pytest.param(
        "We obtain a 3.6% top-1 accuracy improvement on out-of-distribution iNaturalist classification.",
        [("top1_accuracy", 3.6, "delta", "iNaturalist")],
        id="a_hyphenated_setting_before_the_benchmark_is_skipped",
    ),
    pytest.param(
        "It improves by +1.7 mIoU over SegFormer on Cityscapes.",
        [("miou", 1.7, "delta", "Cityscapes")],
        id="a_competitor_after_over_is_skipped_for_the_benchmark_after_it",
    ),
    pytest.param(
        "On CIFAR-10 and SVHN, our method lowers the error by 0.8% and 0.3%.",
        [("error_rate", 0.8, "delta", "CIFAR-10"), ("error_rate", 0.3, "delta", "SVHN")],
        id="a_sentence_opening_with_as_many_benchmarks_as_values_pairs_them_in_order",
    ),
    pytest.param(
        "On ImageNet and COCO, we observe 81.2% top-1 accuracy.",
        [("top1_accuracy", 81.2, "score", None)],
        id="an_opening_list_of_more_benchmarks_than_values_names_none_of_them",
    ),
    pytest.param(
        "We reach an EM of 80.1 and an F1 of 87.9 on SQuAD 2.0.",
        [("exact_match", 80.1, "score", "SQuAD 2.0"), ("f1", 87.9, "score", "SQuAD 2.0")],
        id="results_each_led_by_their_metric_name_share_the_benchmark_after_the_last",
    ),
    pytest.param(
        "It sets records on Kinetics-400 with 84.3% top-1 accuracy, and on Charades with 48.1%.",
        [("top1_accuracy", 84.3, "score", "Kinetics-400"), ("top1_accuracy", 48.1, "score", "Charades")],
        id="a_parallel_clause_on_the_next_benchmark_carries_the_metric_and_names_its_own_benchmark",
    ),
    pytest.param(
        "Our model leads on all three: 93.0% on SVHN, 71.4% on CIFAR-100, and 60.2% on STL-10 in terms of "
        "accuracy.",
        [
            ("accuracy", 93.0, "score", "SVHN"),
            ("accuracy", 71.4, "score", "CIFAR-100"),
            ("accuracy", 60.2, "score", "STL-10"),
        ],
        id="a_metric_named_last_after_in_terms_of_covers_the_values_listed_on_their_benchmarks",
    ),
    pytest.param(
        "We achieve 28.4 BLEU on WMT14 English-German and 41.0 BLEU on WMT14 English-French.",
        [("bleu", 28.4, "score", "WMT14 English-German"), ("bleu", 41.0, "score", "WMT14 English-French")],
        id="language_pairs_stay_part_of_the_benchmark_name",
    ),
]


@pytest.mark.parametrize(("abstract", "expected"), DATASET_CASES)
def test_each_number_gets_the_benchmark_the_text_names_for_it(abstract: str, expected: list[tuple]) -> None:
    assert results(abstract) == expected


@pytest.mark.parametrize(
    ("abstract", "expected"),
    [
        pytest.param(
            "Accuracy improves by 6.1% (94.3%, 12K budget, CIFAR-10) and 8.4% (74.9%, 12K budget, "
            "CIFAR-100).",
            {6.1: "CIFAR-10", 94.3: "CIFAR-10", 8.4: "CIFAR-100", 74.9: "CIFAR-100"},
            id="a_benchmark_listed_inside_the_parenthesis_of_a_value",
        ),
        pytest.param(
            "It achieves an FID of 3.2 on FFHQ 1024 and 4.5 on LSUN Bedroom.",
            {3.2: "FFHQ 1024", 4.5: "LSUN Bedroom"},
            id="a_size_written_after_a_benchmark_name_is_part_of_the_name_not_a_value",
        ),
    ],
)
def test_values_map_to_their_benchmarks(abstract: str, expected: dict[float, str]) -> None:
    assert {value: dataset for _, value, _, dataset in results(abstract)} == expected


@pytest.mark.parametrize(
    ("abstract", "expected"),
    [
        pytest.param(
            "The model achieves 89.5% accuracy on GSM8K and 55.2% on MATH.",
            [("accuracy", 89.5, "score", "GSM8K"), ("accuracy", 55.2, "score", "MATH")],
            id="the_metric_named_after_the_first_value_carries_to_the_second",
        ),
        pytest.param(
            "TransHP brings a +12.69% accuracy improvement under 10% ImageNet training data.",
            [("accuracy", 12.69, "delta", "ImageNet")],
            id="a_share_of_the_training_data_is_not_a_result",
        ),
        pytest.param(
            "Our model achieves 84.2 F1 on SQuAD v1.1 and 78.9 F1 on SQuAD 2.0.",
            [("f1", 84.2, "score", "SQuAD"), ("f1", 78.9, "score", "SQuAD 2.0")],
            id="a_benchmark_version_is_not_a_result",
        ),
    ],
)
def test_which_numbers_are_results(abstract: str, expected: list[tuple]) -> None:
    assert results(abstract) == expected


CONTEXT_CASES = [
    pytest.param(
        "We conduct extensive experiments on the PASCAL VOC dataset. Our approach achieves a mean IoU of "
        "82.1%. It also transfers to Cityscapes without fine-tuning.",
        [("miou", 82.1, "score", "PASCAL VOC")],
        id="a_benchmark_named_in_the_previous_sentence_carries_to_a_result_without_one",
    ),
    pytest.param(
        "Results on the Penn Treebank and WikiText-103 are strong. On both, our model reaches a perplexity "
        "of 55.8 with half the parameters.",
        [("perplexity", 55.8, "score", None)],
        id="a_previous_sentence_naming_two_benchmarks_gives_neither",
    ),
    pytest.param(
        "Our encoder is pre-trained on ImageNet-21K. It reaches 85.3% top-1 accuracy after fine-tuning.",
        [("top1_accuracy", 85.3, "score", None)],
        id="pre_training_data_in_the_previous_sentence_is_not_carried",
    ),
    pytest.param(
        "We test on CIFAR-100 and Tiny-ImageNet. Our method improves accuracy by 2.1% and 3.4%, "
        "respectively.",
        [("accuracy", 2.1, "delta", "CIFAR-100"), ("accuracy", 3.4, "delta", "Tiny-ImageNet")],
        id="respectively_pairs_values_with_a_list_in_the_previous_sentence",
    ),
    pytest.param(
        "On Kinetics-400, we obtain 85.2% top-1 accuracy; on Something-Something v2, 72.4% top-1 accuracy.",
        [
            ("top1_accuracy", 85.2, "score", "Kinetics-400"),
            ("top1_accuracy", 72.4, "score", "Something-Something v2"),
        ],
        id="a_clause_that_only_names_a_benchmark_before_a_comma_introduces_the_next_result",
    ),
    pytest.param(
        "Our detector reaches 50.1 AP on COCO, and on the LVIS benchmark, it obtains 40.2 AP.",
        [("ap", 50.1, "score", "COCO"), ("ap", 40.2, "score", "LVIS")],
        id="a_benchmark_preamble_after_and_belongs_to_the_result_after_it",
    ),
    pytest.param(
        "When fine-tuned on ImageNet-1K, our model achieves 87.8% top-1 accuracy, and 55.7 mIoU on ADE20K "
        "semantic segmentation.",
        [("top1_accuracy", 87.8, "score", "ImageNet-1K"), ("miou", 55.7, "score", "ADE20K")],
        id="a_comma_before_and_keeps_the_second_benchmark_to_the_second_result",
    ),
    pytest.param(
        "The proposed model achieves an accuracy of 95.6% on the test set of the UCI HAR dataset.",
        [("accuracy", 95.6, "score", "UCI HAR")],
        id="the_test_set_of_a_benchmark_names_the_benchmark",
    ),
    pytest.param(
        "We obtain 27.3 BLEU on the WMT'14 English-to-German translation task.",
        [("bleu", 27.3, "score", "WMT'14 English-to-German")],
        id="a_year_after_an_apostrophe_is_part_of_the_benchmark_not_a_result",
    ),
    pytest.param(
        "On LibriSpeech test-clean and test-other, our model achieves WERs of 1.9% and 3.9%.",
        [("wer", 1.9, "score", "LibriSpeech"), ("wer", 3.9, "score", "LibriSpeech")],
        id="a_plural_metric_acronym_still_names_the_metric",
    ),
    pytest.param(
        "Applied on LLaVA-1.5, our adapter improves accuracy by 2.3%. On ConvNeXt-T, pruning keeps 81.2% "
        "top-1 accuracy.",
        [("accuracy", 2.3, "delta", None), ("top1_accuracy", 81.2, "score", None)],
        id="a_model_family_introduced_like_a_benchmark_is_not_one",
    ),
    pytest.param(
        "Our generator reaches an FID of 2.4 on FFHQ. Its loss follows a power law in model size. "
        "The fit has a Pearson correlation of 0.99.",
        [("fid", 2.4, "score", "FFHQ"), ("correlation", 0.99, "score", None)],
        id="a_correlation_describing_a_trend_does_not_take_the_abstracts_only_benchmark",
    ),
    pytest.param(
        "We run all experiments on the PaperLayout dataset. The decoder is light. Our parser reaches an F1 "
        "score of 88.6.",
        [("f1", 88.6, "score", "PaperLayout")],
        id="the_only_benchmark_an_abstract_introduces_as_such_is_the_fallback",
    ),
    pytest.param(
        "We use the TableSet dataset and the FormSet benchmark. The decoder is light. Our parser reaches an "
        "F1 score of 88.6.",
        [("f1", 88.6, "score", None)],
        id="two_introduced_benchmarks_give_no_fallback",
    ),
    pytest.param(
        "Our model achieves 45.2% accuracy on zero-shot classification and 38.1 CIDEr on image captioning.",
        [("accuracy", 45.2, "score", None), ("cider", 38.1, "score", None)],
        id="a_task_is_not_a_benchmark",
    ),
]


@pytest.mark.parametrize(("abstract", "expected"), CONTEXT_CASES)
def test_benchmarks_come_from_the_surrounding_clauses_and_sentences(
    abstract: str, expected: list[tuple]
) -> None:
    assert results(abstract) == expected
