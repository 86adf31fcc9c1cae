"""The AMM network of Zhang et al. (BIBM 2021), its ablation variants and the linear floor."""

from amm_core.model.amm import AMM, AMMBase, AMMBatch, AMMOutput
from amm_core.model.inter_task import DEP_FROM_EMO, EMO_FROM_DEP
from amm_core.model.loss import (
    IGNORE_INDEX,
    masked_cross_entropy,
    multitask_loss,
    trainable_parameters,
    weight_decay_groups,
)
from amm_core.model.variants import VARIANTS, LinearBaseline, build_model

__all__ = [
    "AMM",
    "AMMBase",
    "AMMBatch",
    "AMMOutput",
    "DEP_FROM_EMO",
    "EMO_FROM_DEP",
    "IGNORE_INDEX",
    "VARIANTS",
    "LinearBaseline",
    "build_model",
    "masked_cross_entropy",
    "multitask_loss",
    "trainable_parameters",
    "weight_decay_groups",
]
