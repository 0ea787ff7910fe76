"""The curated table of material names labctl recognises, with the classes each implies.

Written as chemists write them (abbreviations, common and systematic names, British and German spellings, the
misspellings seen in real files); `identity.normalise` folds case, spacing, hyphens, locants and Unicode
sub/superscripts, so each spelling is listed once. Classes only ever add protection: a name here never removes a
declared class.
"""

from __future__ import annotations

from labctl.protocol.model import MaterialClass

C = MaterialClass
_ETHER = {C.ETHER, C.SOLVENT}
_ALCOHOL = {C.ALCOHOL}
_HYDROCARBON = {C.HYDROCARBON, C.SOLVENT}
_AROMATIC = {C.HYDROCARBON, C.AROMATIC, C.SOLVENT}
_HALOGENATED = {C.HALOGENATED, C.SOLVENT}
_KETONE = {C.KETONE, C.SOLVENT}
_ESTER = {C.ESTER, C.SOLVENT}
_NITRILE = {C.NITRILE, C.SOLVENT}
_AMIDE = {C.AMIDE, C.SOLVENT}
_AMINE = {C.AMINE, C.BASE}
_WATER = {C.WATER}


def _each(names: list[str], classes: set[MaterialClass]) -> dict[str, set[MaterialClass]]:
    return {name: set(classes) for name in names}


NAMES: dict[str, set[MaterialClass]] = {
    # ethers
    **_each(
        [
            "THF", "tetrahydrofuran", "tetrahydrofurane", "tetrahydrofuranne", "oxolane", "THF anhydrous",
            "2-MeTHF", "MeTHF", "2-methyltetrahydrofuran", "methyltetrahydrofuran", "2-methyloxolane",
            "Et2O", "OEt2", "diethyl etherate", "diethyl ether", "diethylether", "ethyl ether", "ether", "ethoxyethane", "DEE", "sulfuric ether",
            "diisopropyl ether", "isopropyl ether", "DIPE", "iPr2O", "di-isopropyl ether",
            "DEM", "diethoxymethane", "ethylal", "2,2-dimethoxypropane", "DMP", "acetone dimethyl acetal",
            "eter", "éter", "éther", "etere", "eter dietylowy", "dietyleter",
            "MTBE", "TBME", "tert-butyl methyl ether", "methyl tert-butyl ether", "t-butyl methyl ether",
            "CPME", "cyclopentyl methyl ether", "methoxycyclopentane",
            "DME", "dimethoxyethane", "1,2-dimethoxyethane", "glyme", "monoglyme", "ethylene glycol dimethyl ether",
            "diglyme", "triglyme", "tetraglyme", "dioxane", "1,4-dioxane", "p-dioxane", "dioxolane", "1,3-dioxolane",
            "anisole", "anisol", "methoxybenzene", "PhOMe", "MeOPh", "PhOEt", "EtOPh", "phenetole", "diphenyl ether", "dibutyl ether", "di-n-butyl ether",
            "Bu2O", "dimethyl ether", "DMM", "dimethoxymethane", "methylal", "furan", "tetrahydropyran", "THP",
            "oxane", "18-crown-6", "15-crown-5", "12-crown-4", "crown ether",
        ],
        _ETHER,
    ),
    "morpholine": {C.ETHER, C.AMINE, C.BASE},
    "2-methoxyethanol": {C.ETHER, C.ALCOHOL},
    "methyl cellosolve": {C.ETHER, C.ALCOHOL},
    "PEG": {C.ETHER, C.GLYCOL, C.ALCOHOL},
    "polyethylene glycol": {C.ETHER, C.GLYCOL, C.ALCOHOL},
    "diethylene glycol": {C.ETHER, C.GLYCOL, C.ALCOHOL},
    "DEG": {C.ETHER, C.GLYCOL, C.ALCOHOL},
    "TEG": {C.ETHER, C.GLYCOL, C.ALCOHOL},
    "triethylene glycol": {C.ETHER, C.GLYCOL, C.ALCOHOL},
    # alcohols and other protic materials
    **_each(
        [
            "IMS", "industrial methylated spirit", "industrial methylated spirits", "methylated spirit",
            "methylated spirits", "denatured alcohol", "denatured ethanol", "SDA", "choline", "choline chloride",
            "triethanolamine", "TEOA", "diethanolamine", "DEA", "ethanolamine", "MEA",
            "methanol", "MeOH", "methyl alcohol", "methanole", "ethanol", "EtOH", "ethyl alcohol", "ethanole",
            "isopropanol", "2-propanol", "propan-2-ol", "IPA", "iPrOH", "isopropyl alcohol", "n-propanol",
            "1-propanol", "propanol", "propan-1-ol", "butanol", "n-butanol", "1-butanol", "2-butanol", "BuOH",
            "isobutanol", "tert-butanol", "t-butanol", "tBuOH", "t-BuOH", "tert-butyl alcohol", "pentanol",
            "amyl alcohol", "isoamyl alcohol", "hexanol", "octanol", "cyclohexanol", "benzyl alcohol", "BnOH",
            "TFE", "trifluoroethanol", "2,2,2-trifluoroethanol", "HFIP", "hexafluoroisopropanol", "phenol",
            "alcohol",
        ],
        _ALCOHOL,
    ),
    **_each(
        ["ethylene glycol", "glycol", "propylene glycol", "glycerol", "glycerin", "glycerine", "MEG",
         "monoethylene glycol", "MPG", "monopropylene glycol", "1,2-propanediol", "ethanediol", "1,2-ethanediol"],
        {C.GLYCOL, C.ALCOHOL},
    ),
    **_each(
        ["water", "H2O", "aqueous", "aq", "DI water", "deionised water", "deionized water", "D2O", "Wasser",
         "wet", "moist", "damp", "hydrous", "undried", "not dried", "non-dried", "hydrate", "hydrated"],
        _WATER,
    ),
    "brine": {C.WATER, C.SALT},
    **_each(["acetic acid", "AcOH", "HOAc", "formic acid", "TFA", "trifluoroacetic acid"], {C.ACID}),
    "HCl": {C.ACID, C.WATER},
    "hydrochloric acid": {C.ACID, C.WATER},
    # solvents KMnO4 must never meet
    **_each(["DMF", "dimethylformamide", "N,N-dimethylformamide"], {C.DMF, C.AMIDE, C.SOLVENT}),
    **_each(["DMSO", "dimethyl sulfoxide", "dimethyl sulphoxide", "dimethylsulfoxide"], {C.DMSO, C.SOLVENT}),
    **_each(
        ["H2SO4", "sulfuric acid", "sulphuric acid", "conc. H2SO4", "oleum"], {C.CONC_SULFURIC_ACID, C.ACID}
    ),
    # hydrocarbons
    **_each(
        ["toluene", "toluol", "benzene", "xylene", "xylenes", "o-xylene", "m-xylene", "p-xylene", "mesitylene",
         "cumene", "ethylbenzene"],
        _AROMATIC,
    ),
    **_each(
        [
            "hexane", "hexanes", "n-hexane", "heptane", "n-heptane", "pentane", "n-pentane", "cyclohexane",
            "methylcyclohexane", "cyclopentane", "isooctane", "octane", "decane", "petroleum ether", "pet ether",
            "petrol ether", "light petroleum", "ligroin", "isohexane",
        ],
        _HYDROCARBON,
    ),
    # halogenated, ketones, esters, nitriles, amides, amines
    **_each(
        [
            "DCM", "dichloromethane", "methylene chloride", "CH2Cl2", "chloroform", "CHCl3", "carbon tetrachloride",
            "CCl4", "DCE", "1,2-dichloroethane", "chlorobenzene", "PhCl", "o-dichlorobenzene", "trifluorotoluene",
            "benzotrifluoride", "BTF", "PhCF3", "fluorobenzene", "PhF", "bromobenzene", "PhBr",
        ],
        _HALOGENATED,
    ),
    **_each(
        ["acetone", "aceton", "propanone", "2-propanone", "MEK", "butanone", "2-butanone", "methyl ethyl ketone",
         "MIBK", "methyl isobutyl ketone", "cyclohexanone", "cyclopentanone"],
        _KETONE,
    ),
    **_each(
        [
            "ethyl acetate", "EtOAc", "AcOEt", "isopropyl acetate", "iPrOAc", "IPAc", "methyl acetate", "MeOAc",
            "butyl acetate", "BuOAc", "ethyl formate", "dimethyl carbonate", "DMC", "propylene carbonate",
            "gamma-butyrolactone", "GBL", "Essigester",
        ],
        _ESTER,
    ),
    **_each(["acetonitrile", "MeCN", "ACN", "CH3CN", "propionitrile", "benzonitrile"], _NITRILE),
    **_each(["HMPA", "HMPT", "hexamethylphosphoramide", "hexamethylphosphoric triamide", "DMPU", "DMI"], _AMIDE),
    **_each(["DMAc", "dimethylacetamide", "NMP", "N-methyl-2-pyrrolidone", "N-methylpyrrolidone"], _AMIDE),
    **_each(
        ["triethylamine", "NEt3", "Et3N", "TEA", "DIPEA", "Hünig's base", "diisopropylethylamine", "DBU",
         "TMEDA"],
        _AMINE,
    ),
    "pyridine": {C.AMINE, C.BASE, C.AROMATIC, C.SOLVENT},
    # the reagents of the shipped procedures
    **_each(
        ["KMnO4", "potassium permanganate", "permanganate", "potassium manganate(VII)"], {C.PERMANGANATE, C.OXIDANT}
    ),
    **_each(
        ["NaHSO3", "sodium bisulfite", "sodium bisulphite", "sodium hydrogen sulfite", "sodium hydrogensulfite",
         "bisulfite", "bisulphite"],
        {C.BISULFITE, C.REDUCTANT},
    ),
    **_each(
        ["Na2S2O5", "sodium metabisulfite", "sodium metabisulphite", "Na2SO3", "sodium sulfite", "Na2S2O3",
         "sodium thiosulfate"],
        {C.REDUCTANT},
    ),
    **_each(
        ["MgBr", "magnesium(I) bromide", "Mg(I) bromide", "magnesium monobromide", "Mg(I)Br"], {C.MG_I_HALIDE}
    ),
    **_each(["NaCl", "sodium chloride", "KCl", "potassium chloride"], {C.SALT}),
    # CAS numbers, as inventories and supplier labels give them
    **_each(["109-99-9", "96-47-9", "60-29-7", "123-91-1", "110-71-4", "1634-04-4", "5614-37-9", "108-20-3",
             "100-66-3", "142-96-1", "462-95-3", "109-87-5"], _ETHER),
    **_each(["67-56-1", "64-17-5", "67-63-0", "71-23-8", "71-36-3", "75-65-0"], _ALCOHOL),
    **_each(["7732-18-5"], _WATER),
    **_each(["108-88-3"], _AROMATIC),
    **_each(["142-82-5", "110-54-3", "110-82-7", "109-66-0"], _HYDROCARBON),
    **_each(["67-64-1", "78-93-3"], _KETONE),
    **_each(["75-09-2", "67-66-3", "56-23-5", "108-90-7", "98-08-8"], _HALOGENATED),
    **_each(["141-78-6"], _ESTER),
    **_each(["75-05-8"], _NITRILE),
    **_each(["68-12-2", "127-19-5", "872-50-4"], _AMIDE),
    **_each(["121-44-8"], _AMINE),
}  # fmt: skip

# Word parts that name a class whatever surrounds them (a crown ether, "polyether", a glyme, an "-oxolane").
FRAGMENTS: dict[str, set[MaterialClass]] = {
    "ether": _ETHER,
    "glyme": _ETHER,
    "furan": _ETHER,
    "oxolan": _ETHER,
    "dioxan": _ETHER,
    "crown": _ETHER,
    "fluoro": _HALOGENATED,
    "chloro": _HALOGENATED,
    "bromo": _HALOGENATED,
    "iodo": _HALOGENATED,
    "cf3": _HALOGENATED,
    "anolamin": {C.ALCOHOL, C.AMINE},
    "morpholin": {C.ETHER, C.AMINE, C.BASE},
    "alcohol": _ALCOHOL,
    "glycol": {C.GLYCOL, C.ALCOHOL},
    "mgbr": {C.MG_I_HALIDE},
    "permanganat": {C.PERMANGANATE, C.OXIDANT},
}

# Names in which a fragment above does not mean its class.
NOT_FRAGMENTS = ("petroleumether", "petether", "petrolether")

# Normal boiling points (°C, 1 atm) of the common solvents: the temperature of no return for an open vessel, against
# which a runaway's MTSR is judged. A solvent not here must give its `boiling_point:`.
BOILING_POINTS: dict[str, float] = {
    "acetone": 56.0, "aceton": 56.0, "propanone": 56.0, "2-butanone": 80.0, "MEK": 80.0, "butanone": 80.0,
    "methyl ethyl ketone": 80.0, "MIBK": 117.0, "cyclohexanone": 156.0,
    "THF": 66.0, "tetrahydrofuran": 66.0, "2-MeTHF": 80.0, "MeTHF": 80.0, "Et2O": 35.0, "diethyl ether": 35.0,
    "MTBE": 55.0, "TBME": 55.0, "CPME": 106.0, "DME": 85.0, "dimethoxyethane": 85.0, "1,4-dioxane": 101.0,
    "dioxane": 101.0, "diisopropyl ether": 68.0, "anisole": 154.0,
    "toluene": 111.0, "benzene": 80.0, "xylene": 138.0, "xylenes": 138.0, "hexane": 69.0, "hexanes": 69.0,
    "n-hexane": 69.0, "heptane": 98.0, "n-heptane": 98.0, "pentane": 36.0, "n-pentane": 36.0, "cyclohexane": 81.0,
    "methylcyclohexane": 101.0,
    "water": 100.0, "H2O": 100.0, "methanol": 65.0, "MeOH": 65.0, "ethanol": 78.0, "EtOH": 78.0,
    "isopropanol": 82.0, "2-propanol": 82.0, "IPA": 82.0, "tert-butanol": 82.0, "n-butanol": 118.0,
    "DCM": 40.0, "dichloromethane": 40.0, "methylene chloride": 40.0, "chloroform": 61.0, "CHCl3": 61.0,
    "1,2-dichloroethane": 84.0, "DCE": 84.0, "chlorobenzene": 132.0,
    "acetonitrile": 82.0, "MeCN": 82.0, "ethyl acetate": 77.0, "EtOAc": 77.0, "isopropyl acetate": 89.0,
    "methyl acetate": 57.0, "butyl acetate": 126.0, "DMF": 153.0, "dimethylformamide": 153.0, "DMSO": 189.0,
    "dimethyl sulfoxide": 189.0, "dimethyl sulphoxide": 189.0, "ethylene glycol": 197.0, "glycol": 197.0,
    "glycerol": 290.0, "NMP": 202.0, "DMAc": 165.0, "acetic acid": 118.0, "pyridine": 115.0,
}  # fmt: skip

# Specific heat capacity (J/(g·K), ~20 °C) and density (g/mL) of common liquids: what a charge's heat capacity is
# estimated from, to check the declared one.
LIQUIDS: dict[str, tuple[float, float]] = {
    "acetone": (2.16, 0.79), "aceton": (2.16, 0.79), "water": (4.18, 1.00), "H2O": (4.18, 1.00),
    "aqueous": (4.18, 1.00), "toluene": (1.70, 0.87), "THF": (1.72, 0.89), "tetrahydrofuran": (1.72, 0.89),
    "2-MeTHF": (1.80, 0.85), "methanol": (2.53, 0.79), "MeOH": (2.53, 0.79), "ethanol": (2.44, 0.79),
    "EtOH": (2.44, 0.79), "isopropanol": (2.60, 0.79), "IPA": (2.60, 0.79), "DCM": (1.19, 1.33),
    "dichloromethane": (1.19, 1.33), "acetonitrile": (2.23, 0.79), "MeCN": (2.23, 0.79),
    "ethyl acetate": (1.92, 0.90), "EtOAc": (1.92, 0.90), "heptane": (2.24, 0.68), "n-heptane": (2.24, 0.68),
    "hexane": (2.26, 0.66), "hexanes": (2.26, 0.66), "DMF": (2.03, 0.94), "DMSO": (1.96, 1.10),
    "MTBE": (2.14, 0.74), "Et2O": (2.33, 0.71), "diethyl ether": (2.33, 0.71), "xylene": (1.72, 0.86),
    "chloroform": (0.96, 1.49), "2-butanone": (2.20, 0.80), "MEK": (2.20, 0.80), "cyclohexane": (1.85, 0.78),
}  # fmt: skip

# Molar masses (g/mol) of the compounds a protocol here names: a declared molar mass that matches none of the
# compounds in a material's name is a slip that scales every equivalent, adiabatic rise and quench demand.
MOLAR_MASSES: dict[str, float] = {
    "KMnO4": 158.03, "potassium permanganate": 158.03, "NaMnO4": 141.93, "sodium permanganate": 141.93,
    "NaHSO3": 104.06, "sodium bisulfite": 104.06, "sodium bisulphite": 104.06, "sodium hydrogen sulfite": 104.06,
    "Na2S2O5": 190.11, "sodium metabisulfite": 190.11, "Na2SO3": 126.04, "sodium sulfite": 126.04,
    "Na2S2O3": 158.11, "sodium thiosulfate": 158.11, "water": 18.02, "H2O": 18.02,
    "acetone": 58.08, "aceton": 58.08, "toluene": 92.14, "THF": 72.11, "tetrahydrofuran": 72.11,
    "methanol": 32.04, "ethanol": 46.07, "acetonitrile": 41.05, "DCM": 84.93, "dichloromethane": 84.93,
    "ethyl acetate": 88.11, "EtOAc": 88.11, "heptane": 100.20, "hexane": 86.18, "DMSO": 78.13, "DMF": 73.09,
    "triethylamine": 101.19, "NEt3": 101.19, "Et3N": 101.19, "NaCl": 58.44, "sodium chloride": 58.44,
}  # fmt: skip

# About the most of a solute a litre of its aqueous solution holds at 20 °C (g/L; commercial 38–40 % w/w
# bisulfite solutions are ~540 g/L): a quench or reagent solution beyond this cannot be made up.
SOLUBILITY_G_L: dict[str, float] = {
    "NaHSO3": 600.0, "sodium bisulfite": 600.0, "sodium bisulphite": 600.0, "sodium hydrogen sulfite": 600.0,
    "Na2S2O5": 550.0, "sodium metabisulfite": 550.0, "Na2SO3": 270.0, "sodium sulfite": 270.0,
    "Na2S2O3": 700.0, "sodium thiosulfate": 700.0, "KMnO4": 64.0, "potassium permanganate": 64.0,
    "NaCl": 360.0, "sodium chloride": 360.0,
}  # fmt: skip
