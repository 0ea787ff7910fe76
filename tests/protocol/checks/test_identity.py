"""labctl tells what a material is from its name, its classes or its SMILES, and says when it cannot."""

from __future__ import annotations

import pytest

from labctl.protocol.checks.identity import boiling_point, identify, name_classes, normalise
from labctl.protocol.checks.smiles import SmilesError, smiles_classes
from labctl.protocol.model import Material, MaterialClass

C = MaterialClass


def material(name: str, classes: list[str] | None = None, smiles: str | None = None) -> Material:
    return Material.model_validate(
        {"id": "m", "name": name, "role": "solvent", "classes": classes or [], "smiles": smiles}
    )


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ("Et₂O", "et2o"),
        ("ET-2-O", "Et2O"),
        ("1,4-Dioxane", "14dioxane"),
        ("N,N-Dimethyl formamide", "nndimethylformamide"),
    ],
)
def test_spellings_fold_to_one_key(a: str, b: str) -> None:
    assert normalise(a) == normalise(b)


ETHERS = [
    "Diethyl Ehter", "di-n-butyl ether", "CPME", "tetrahydropyran (THP)", "t-Butyl methyl ether", "2-methyloxolane",
    "toluene with 18-crown-6", "Et₂O (anhydrous)", "Diethylether, wasserfrei", "dimethoxymethane", "TBME",
    "oxolane", "polyether", "1,2-Dimethoxyethane", "toluene-THF 9:1", "THF/toluene", "furan", "methoxybenzene",
    "toluene–THF (9:1)", "THF—toluene", "toluene‐2‐MeTHF", "KCp*·OEt2", "MgBr2•2THF", "BF3·OEt2", "PhOMe",
    "N-methylmorpholine", "4-methylmorpholine", "DEG", "diethyl etherate",
]  # fmt: skip
PROTIC = [
    "EtOH", "isopropyl alcohol", "t-BuOH", "D₂O", "glacial acetic acid", "Methanole", "toluene (water-saturated)", "wet toluene",
    "propan-2-ol", "HFIP", "glycerine", "brine", "benzyl alcohol", "aq. NaCl", "n-BUTANOL",
    "acetone–methanol (9:1)", "toluene—EtOH", "QAS-2, 50 % w/w MEG", "MPG", "toluene (undried)",
    "toluene, not dried", "CuSO4 hydrate", "MgSO4 hydrated",
]  # fmt: skip
NOT_ETHER = [
    "petroleum ether 40-60",
    "pet ether",
    "toluene",
    "n-heptane",
    "ethyl acetate",
    "acetone",
    "Essigester",
]


@pytest.mark.parametrize("name", ETHERS)
def test_ethers_are_found_however_they_are_written(name: str) -> None:
    assert C.ETHER in name_classes(name)


@pytest.mark.parametrize("name", PROTIC)
def test_protic_materials_are_found_however_they_are_written(name: str) -> None:
    assert name_classes(name) & {C.WATER, C.ALCOHOL, C.GLYCOL, C.ACID}


@pytest.mark.parametrize("name", NOT_ETHER)
def test_solvents_that_are_no_ethers_are_not_called_ethers(name: str) -> None:
    found = name_classes(name)
    assert found, f"{name} should be known"
    assert C.ETHER not in found


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("MgBr solution in THF", {C.MG_I_HALIDE, C.ETHER}),
        ("KMnO4 slurry in MeOH", {C.PERMANGANATE, C.ALCOHOL}),
        ("NaHSO3 in water (25.0 g in 50 mL)", {C.BISULFITE, C.WATER}),
        ("MgBr solution in toluene (~2 % NEt3)", {C.MG_I_HALIDE, C.AROMATIC, C.AMINE}),
    ],
)
def test_a_name_of_several_things_is_all_of_them(name: str, expected: set[MaterialClass]) -> None:
    assert expected <= name_classes(name)


@pytest.mark.parametrize("name", ["methanal", "butanal", "cyclopentadiene", "acrylate 1t"])
def test_a_near_miss_is_no_match(name: str) -> None:
    assert not name_classes(name) & {C.ALCOHOL, C.ETHER}


@pytest.mark.parametrize(
    ("smiles", "has", "lacks"),
    [
        ("C1CCOC1", {C.ETHER}, {C.ALCOHOL}),
        ("COCCOC", {C.ETHER}, {C.ESTER}),
        ("c1ccoc1", {C.ETHER, C.AROMATIC}, set()),
        ("CC(=O)OCC", {C.ESTER}, {C.ETHER}),  # the ester oxygen is no ether
        ("COC(=O)OC", {C.ESTER}, {C.ETHER}),  # nor a carbonate's
        ("CCO", {C.ALCOHOL}, {C.ETHER}),
        ("Oc1ccccc1", {C.ALCOHOL, C.AROMATIC}, set()),
        ("CC(=O)O", {C.ACID}, {C.ALCOHOL}),
        ("O", {C.WATER}, {C.ALCOHOL}),
        ("OCCO", {C.GLYCOL, C.ALCOHOL}, set()),
        ("Cc1ccccc1", {C.AROMATIC, C.HYDROCARBON}, {C.ETHER}),
        ("CCCCCCC", {C.HYDROCARBON}, {C.AROMATIC}),
        ("ClCCl", {C.HALOGENATED}, {C.HYDROCARBON}),
        ("CS(C)=O", {C.DMSO}, set()),
        ("CN(C)C=O", {C.DMF, C.AMIDE}, set()),
        ("[K+].[O-][Mn](=O)(=O)=O", {C.PERMANGANATE, C.OXIDANT, C.SALT}, set()),
        ("[Na+].OS([O-])=O", {C.BISULFITE, C.REDUCTANT}, set()),
        ("[Mg]Br", {C.MG_I_HALIDE}, {C.HALOGENATED}),
        ("CCN(CC)CC", {C.AMINE}, {C.AMIDE}),
        ("C1COCCN1", {C.ETHER, C.AMINE}, set()),  # morpholine
    ],
)
def test_smiles_substructures_give_classes(
    smiles: str, has: set[MaterialClass], lacks: set[MaterialClass]
) -> None:
    found = smiles_classes(smiles)
    assert has <= found
    assert not lacks & found


@pytest.mark.parametrize("smiles", ["C1CC((", "Cc1ccccc", "XYZ", "C(C)(C)(C)(C)C"])
def test_an_unreadable_smiles_is_an_error_not_a_guess(smiles: str) -> None:
    with pytest.raises(SmilesError, match="RDKit cannot read"):
        smiles_classes(smiles)


def test_a_known_name_identifies() -> None:
    assert identify(material("toluene")).unknown is None


def test_an_unknown_name_with_only_purpose_classes_is_unknown() -> None:
    for classes in ([], ["solvent"], ["solvent", "catalyst"], ["phase-transfer", "pyrophoric"]):
        assert identify(material("Cyrene", classes)).unknown == "the name 'Cyrene'"


def test_a_class_that_says_what_it_is_identifies() -> None:
    assert identify(material("Cyrene", ["solvent", "ketone"])).unknown is None


def test_a_smiles_identifies_and_adds_its_classes() -> None:
    found = identify(material("solvent B", ["solvent"], "CCOCC"))
    assert found.unknown is None
    assert C.ETHER in found.classes


def test_an_unreadable_smiles_leaves_the_name_to_tell() -> None:
    assert identify(material("toluene", [], "C1CC((")).unknown is None
    assert identify(material("solvent B", [], "C1CC((")).unknown == "the name 'solvent B'"


@pytest.mark.parametrize(
    ("name", "classes", "unknown"),
    [
        ("MgBr solution in Cyrene", ["mg-i-halide"], "the solvent 'Cyrene'"),
        ("MgBr in solvent Z, kept cold", ["mg-i-halide", "organometallic"], "the solvent 'solvent Z'"),
        ("MgBr solution in toluene", ["mg-i-halide"], None),
        ("MgBr solution in Cyrene", ["mg-i-halide", "ketone"], None),  # the solvent's class is declared
    ],
)
def test_a_solutions_solvent_must_be_known_too(name: str, classes: list[str], unknown: str | None) -> None:
    assert identify(material(name, classes)).unknown == unknown


@pytest.mark.parametrize(
    ("name", "classes", "unknown"),
    [
        ("toluene/Isopar G", ["aromatic"], "'Isopar G' in the mixture 'toluene/Isopar G'"),
        ("toluene + Solvesso 150", ["aromatic"], "'Solvesso 150' in the mixture 'toluene + Solvesso 150'"),
        ("acetone and Cyrene", ["ketone"], "'Cyrene' in the mixture 'acetone and Cyrene'"),
        ("toluene–sulfolane", ["aromatic"], "'sulfolane' in the mixture 'toluene–sulfolane'"),
        ("toluene/heptane 4:1", ["aromatic"], None),
        ("acetone/water 4/1 (v/v)", ["ketone"], None),
        ("toluene/Isopar G", ["aromatic", "hydrocarbon", "ester"], None),  # a family beyond toluene's own
        ("MgBr solution in toluene + NEt3", ["mg-i-halide"], None),
    ],
)
def test_each_part_of_a_named_mixture_must_be_known(
    name: str, classes: list[str], unknown: str | None
) -> None:
    assert identify(material(name, classes)).unknown == unknown


@pytest.mark.parametrize(
    ("name", "expected"),
    [("acetone–methanol (9:1)", 56.0), ("toluene—THF", 66.0), ("toluene‐heptane", 98.0)],
)
def test_a_dashed_mixture_boils_at_its_lowest_known_part(name: str, expected: float) -> None:
    assert boiling_point(material(name)) == expected


def test_declared_classes_are_never_removed() -> None:
    assert C.ETHER in identify(material("toluene", ["ether"])).classes
