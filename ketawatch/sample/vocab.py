"""Word lists and reference tables of the sample-data generator.

Everything here is data: names, places, journals, MeSH descriptors, publication types, the
phrases that describe each drug, condition and route, rating scales and comparators. The prose
module turns them into titles and abstracts; the renderers turn them into wire formats.

MeSH and publication-type UIs are the real NLM ones where we know them, so that a tagger keyed on
UIs meets the values it meets in production. Journal metadata is real-looking; the DOIs built from
it are not real (see ``ketawatch.sample`` for the identifier ranges).
"""

from __future__ import annotations

from dataclasses import dataclass

SAMPLE_MARK = "[KetaWatch sample data]"

# ---------------------------------------------------------------------------------------------
# people and places
# ---------------------------------------------------------------------------------------------

#: (fore name, sex) pairs; ForeName keeps a middle initial when present, as PubMed does
FORE_NAMES = (
    ("Anna", "F"), ("Maria", "F"), ("Laura", "F"), ("Sarah", "F"), ("Emily", "F"), ("Hannah", "F"),
    ("Julia", "F"), ("Sofia", "F"), ("Chiara", "F"), ("Ingrid", "F"), ("Zoë", "F"), ("Marta", "F"),
    ("Agnieszka", "F"), ("Fatima", "F"), ("Yuki", "F"), ("Mei", "F"), ("Priya", "F"), ("Ana Lucía", "F"),
    ("Rebecca J", "F"), ("Claire E", "F"), ("Nadia", "F"), ("Elif", "F"), ("Camille", "F"), ("Leah M", "F"),
    ("Jing", "F"), ("Xiaoyan", "F"), ("Hye-Jin", "F"), ("Siobhán", "F"), ("Annika", "F"), ("Olga", "F"),
    ("David", "M"), ("Michael", "M"), ("Thomas", "M"), ("James R", "M"), ("Daniel", "M"), ("Lukas", "M"),
    ("Matteo", "M"), ("Søren", "M"), ("José", "M"), ("Łukasz", "M"), ("Ahmed", "M"), ("Kenji", "M"),
    ("Wei", "M"), ("Hao", "M"), ("Rahul", "M"), ("Carlos A", "M"), ("Pierre", "M"), ("Jonas", "M"),
    ("Mehmet", "M"), ("Andrew P", "M"), ("Samuel", "M"), ("Paulo", "M"), ("Tomasz", "M"), ("Min-Soo", "M"),
    ("Jun", "M"), ("Yong", "M"), ("Erik", "M"), ("François", "M"), ("Nikolai", "M"), ("Benjamin T", "M"),
)

LAST_NAMES = (
    "Andersen", "Baker", "Bianchi", "Brennan", "Carvalho", "Castillo", "Chen", "Costa", "Dubé",
    "Eriksson", "Fischer", "Gómez", "Hartmann", "Herrera", "Huang", "Ivanova", "Jansen", "Jiang",
    "Kaplan", "Kim", "Kowalczyk", "Kumar", "Lambert", "Larsen", "Li", "Lin", "Liu", "Lopes",
    "Marino", "Martins", "Meyer", "Mohammadi", "Moreau", "Müller", "Nakamura", "Nguyen", "Nowak",
    "O'Brien", "Okafor", "Olsen", "Öztürk", "Park", "Patel", "Pereira", "Petrov", "Quinn", "Rossi",
    "Sato", "Schneider", "Shah", "Silva", "Sun", "Tanaka", "Thompson", "Van den Berg", "Vargas",
    "Wagner", "Walsh", "Wang", "Weber", "Wu", "Xu", "Yang", "Yilmaz", "Zhang", "Zhao", "Zhou",
    "Åberg", "Nielsen", "Russo", "Santos", "Mahmoud", "Ferreira", "Lindqvist", "Kovács", "Novak",
)

#: (city, region or None, country, institution kinds that fit the place)
PLACES = (
    ("Boston", "Massachusetts", "USA"), ("New Haven", "Connecticut", "USA"),
    ("Houston", "Texas", "USA"), ("San Diego", "California", "USA"), ("Chicago", "Illinois", "USA"),
    ("Pittsburgh", "Pennsylvania", "USA"), ("Nashville", "Tennessee", "USA"),
    ("Toronto", "Ontario", "Canada"), ("Montreal", "Quebec", "Canada"), ("Vancouver", None, "Canada"),
    ("London", None, "UK"), ("Oxford", None, "UK"), ("Manchester", None, "UK"), ("Dublin", None, "Ireland"),
    ("Copenhagen", None, "Denmark"), ("Stockholm", None, "Sweden"), ("Oslo", None, "Norway"),
    ("Berlin", None, "Germany"), ("Munich", None, "Germany"), ("Vienna", None, "Austria"),
    ("Zurich", None, "Switzerland"), ("Amsterdam", None, "the Netherlands"), ("Paris", None, "France"),
    ("Milan", None, "Italy"), ("Barcelona", None, "Spain"), ("Lisbon", None, "Portugal"),
    ("Kraków", None, "Poland"), ("Gdańsk", None, "Poland"), ("Prague", None, "Czech Republic"),
    ("São Paulo", None, "Brazil"), ("Salvador", "Bahia", "Brazil"), ("Santiago", None, "Chile"),
    ("Shanghai", None, "China"), ("Beijing", None, "China"), ("Wuhan", None, "China"),
    ("Chengdu", None, "China"), ("Hangzhou", None, "China"), ("Seoul", None, "Korea"),
    ("Tokyo", None, "Japan"), ("Chiba", None, "Japan"), ("Taipei", None, "Taiwan"),
    ("Melbourne", "Victoria", "Australia"), ("Sydney", "New South Wales", "Australia"),
    ("Tehran", None, "Iran"), ("Istanbul", None, "Turkey"), ("Tel Aviv", None, "Israel"),
)

#: approximate coordinates of the cities above (ClinicalTrials.gov geoPoint)
CITY_GEO = {
    "Boston": (42.35843, -71.05977), "New Haven": (41.30815, -72.92816),
    "Houston": (29.76328, -95.36327), "San Diego": (32.71571, -117.16472),
    "Chicago": (41.85003, -87.65005), "Pittsburgh": (40.44062, -79.99589),
    "Nashville": (36.16589, -86.78444), "Toronto": (43.70643, -79.39864),
    "Montreal": (45.50884, -73.58781), "Vancouver": (49.24966, -123.11934),
    "London": (51.50853, -0.12574), "Oxford": (51.75222, -1.25596),
    "Manchester": (53.48095, -2.23743), "Dublin": (53.33306, -6.24889),
    "Copenhagen": (55.67594, 12.56553), "Stockholm": (59.32938, 18.06871),
    "Oslo": (59.91273, 10.74609), "Berlin": (52.52437, 13.41053), "Munich": (48.13743, 11.57549),
    "Vienna": (48.20849, 16.37208), "Zurich": (47.36667, 8.55), "Amsterdam": (52.37403, 4.88969),
    "Paris": (48.85341, 2.3488), "Milan": (45.46427, 9.18951), "Barcelona": (41.38879, 2.15899),
    "Lisbon": (38.71667, -9.13333), "Kraków": (50.06143, 19.93658), "Gdańsk": (54.35205, 18.64637),
    "Prague": (50.08804, 14.42076), "São Paulo": (-23.5475, -46.63611),
    "Salvador": (-12.97563, -38.49096), "Santiago": (-33.45694, -70.64827),
    "Shanghai": (31.22222, 121.45806), "Beijing": (39.9075, 116.39723), "Wuhan": (30.58333, 114.26667),
    "Chengdu": (30.66667, 104.06667), "Hangzhou": (30.29365, 120.16142), "Seoul": (37.566, 126.9784),
    "Tokyo": (35.6895, 139.69171), "Chiba": (35.6, 140.11667), "Taipei": (25.04776, 121.53185),
    "Melbourne": (-37.814, 144.96332), "Sydney": (-33.86785, 151.20732),
    "Tehran": (35.69439, 51.42151), "Istanbul": (41.01384, 28.94966), "Tel Aviv": (32.08088, 34.78057),
}

#: ClinicalTrials.gov derived-section ancestors and browse branch per condition key
CT_CONDITION_TREE = {
    "depression": ((("D003866", "Depressive Disorder"), ("D019964", "Mood Disorders"),
                    ("D001523", "Mental Disorders")), ("BXM", "Behaviors and Mental Disorders")),
    "trd": ((("D003866", "Depressive Disorder"), ("D019964", "Mood Disorders"),
             ("D001523", "Mental Disorders")), ("BXM", "Behaviors and Mental Disorders")),
    "bipolar-depression": ((("D000068105", "Bipolar and Related Disorders"),
                            ("D019964", "Mood Disorders"), ("D001523", "Mental Disorders")),
                           ("BXM", "Behaviors and Mental Disorders")),
    "ptsd": ((("D040921", "Stress Disorders, Traumatic"),
              ("D000068099", "Trauma and Stressor Related Disorders"),
              ("D001523", "Mental Disorders")), ("BXM", "Behaviors and Mental Disorders")),
    "ocd": ((("D001008", "Anxiety Disorders"), ("D001523", "Mental Disorders")),
            ("BXM", "Behaviors and Mental Disorders")),
    "suicidal-ideation": ((("D013405", "Suicide"), ("D016728", "Self-Injurious Behavior"),
                           ("D001519", "Behavior")), ("BXM", "Behaviors and Mental Disorders")),
    "anxiety": ((("D001523", "Mental Disorders"),), ("BXM", "Behaviors and Mental Disorders")),
    "substance-use": ((("D019966", "Substance-Related Disorders"),
                       ("D064419", "Chemically-Induced Disorders"),
                       ("D001523", "Mental Disorders")), ("BXM", "Behaviors and Mental Disorders")),
    "chronic-pain": ((("D010146", "Pain"), ("D009461", "Neurologic Manifestations"),
                      ("D009422", "Nervous System Diseases")),
                     ("BC10", "Nervous System Diseases")),
    "other": ((("D019965", "Neurocognitive Disorders"), ("D001523", "Mental Disorders")),
              ("BXM", "Behaviors and Mental Disorders")),
}

#: institution patterns; "{city}" is filled in
INSTITUTIONS = (
    "University of {city}", "{city} University Hospital", "{city} Medical University",
    "{city} Institute of Mental Health", "{city} General Hospital", "University Medical Center {city}",
    "{city} Psychiatric Center", "Faculty of Medicine, {city} University",
)

DEPARTMENTS = (
    "Department of Psychiatry", "Department of Psychiatry and Behavioral Sciences",
    "Department of Anesthesiology", "Department of Pharmacology", "Mood Disorders Program",
    "Department of Psychiatry and Psychotherapy", "Department of Neuroscience",
    "Department of Epidemiology", "Department of Emergency Medicine", "Department of Pain Medicine",
)

#: named study groups and societies (fictional) for CollectiveName authors
COLLECTIVES = (
    "Rapid-Acting Treatments Research Consortium",
    "International Task Force on Novel Antidepressant Treatments",
    "Glutamatergic Treatments Study Group",
    "Nordic Network for Mood Disorder Trials",
    "Perioperative Mental Health Collaborative",
)

#: fictional societies issuing guidelines
SOCIETIES = (
    "International Society for Rapid-Acting Treatments",
    "European Mood Disorders Forum",
    "Pan-American Network for Interventional Psychiatry",
    "Asia-Pacific Consortium on Depression Care",
)

# ---------------------------------------------------------------------------------------------
# journals
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Journal:
    """A journal as PubMed, Europe PMC and Crossref describe it."""

    title: str
    iso: str
    nlm_id: str
    issn_print: str | None
    issn_electronic: str | None
    country: str
    publisher: str
    slug: str
    medline: bool = True
    pmc_share: float = 0.2
    electronic_only: bool = False
    language: str = "eng"
    kinds: tuple[str, ...] = ("psychiatry",)

    @property
    def medline_ta(self) -> str:
        """The MedlineTA abbreviation (the ISO abbreviation for our journals)."""
        return self.iso

    @property
    def issn_linking(self) -> str:
        """ISSNLinking: the print ISSN when there is one."""
        return self.issn_print or self.issn_electronic or ""


JOURNALS = (
    Journal("Journal of affective disorders", "J Affect Disord", "7906073", "0165-0327", "1573-2517",
            "Netherlands", "Elsevier BV", "jad", kinds=("psychiatry", "observational")),
    Journal("JAMA psychiatry", "JAMA Psychiatry", "101589550", "2168-622X", "2168-6238",
            "United States", "American Medical Association (AMA)", "jamapsychiatry", pmc_share=0.3,
            kinds=("top",)),
    Journal("The American journal of psychiatry", "Am J Psychiatry", "0370512", "0002-953X",
            "1535-7228", "United States", "American Psychiatric Association Publishing", "ajp",
            kinds=("top",)),
    Journal("The lancet. Psychiatry", "Lancet Psychiatry", "101638123", "2215-0366", "2215-0374",
            "England", "Elsevier BV", "lanpsy", kinds=("top",)),
    Journal("Molecular psychiatry", "Mol Psychiatry", "9607835", "1359-4184", "1476-5578",
            "England", "Springer Science and Business Media LLC", "molpsy",
            kinds=("top", "preclinical")),
    Journal("Biological psychiatry", "Biol Psychiatry", "0213264", "0006-3223", "1873-2402",
            "United States", "Elsevier BV", "biopsych", kinds=("top", "preclinical")),
    Journal("Neuropsychopharmacology : official publication of the American College of "
            "Neuropsychopharmacology", "Neuropsychopharmacology", "8904907", "0893-133X",
            "1740-634X", "England", "Springer Science and Business Media LLC", "npp",
            kinds=("psychiatry", "preclinical")),
    Journal("The Journal of clinical psychiatry", "J Clin Psychiatry", "7801243", "0160-6689",
            "1555-2101", "United States", "Physicians Postgraduate Press, Inc", "jcp",
            kinds=("psychiatry",)),
    Journal("The international journal of neuropsychopharmacology", "Int J Neuropsychopharmacol",
            "9815893", "1461-1457", "1469-5111", "England", "Oxford University Press (OUP)", "ijnp",
            pmc_share=0.9, kinds=("psychiatry", "preclinical")),
    Journal("Psychopharmacology", "Psychopharmacology (Berl)", "7608025", "0033-3158", "1432-2072",
            "Germany", "Springer Science and Business Media LLC", "psychopharm",
            kinds=("preclinical", "psychiatry")),
    Journal("Translational psychiatry", "Transl Psychiatry", "101562664", None, "2158-3188",
            "United States", "Springer Science and Business Media LLC", "tp", pmc_share=1.0,
            electronic_only=True, kinds=("psychiatry", "preclinical")),
    Journal("Frontiers in psychiatry", "Front Psychiatry", "101545006", None, "1664-0640",
            "Switzerland", "Frontiers Media SA", "fpsyt", medline=False, pmc_share=1.0,
            electronic_only=True, kinds=("psychiatry", "case", "observational")),
    Journal("BMC psychiatry", "BMC Psychiatry", "100968559", None, "1471-244X", "England",
            "Springer Science and Business Media LLC", "bmcpsy", pmc_share=1.0,
            electronic_only=True, kinds=("psychiatry", "case", "observational")),
    Journal("CNS drugs", "CNS Drugs", "9431220", "1172-7047", "1179-1934", "New Zealand",
            "Springer Science and Business Media LLC", "cnsdrugs", kinds=("synthesis",)),
    Journal("Journal of psychopharmacology (Oxford, England)", "J Psychopharmacol", "8907828",
            "0269-8811", "1461-7285", "United States", "SAGE Publications", "jop",
            kinds=("psychiatry", "synthesis")),
    Journal("European neuropsychopharmacology : the journal of the European College of "
            "Neuropsychopharmacology", "Eur Neuropsychopharmacol", "9111390", "0924-977X",
            "1873-7862", "Netherlands", "Elsevier BV", "euroneuro", kinds=("psychiatry",)),
    Journal("Psychiatry research", "Psychiatry Res", "7911385", "0165-1781", "1872-7123",
            "Ireland", "Elsevier BV", "psychres", kinds=("psychiatry", "observational")),
    Journal("Depression and anxiety", "Depress Anxiety", "9708816", "1091-4269", "1520-6394",
            "United States", "Wiley", "da", kinds=("psychiatry", "synthesis")),
    Journal("Bipolar disorders", "Bipolar Disord", "100883596", "1398-5647", "1399-5618",
            "Denmark", "Wiley", "bdi", kinds=("bipolar",)),
    Journal("Neuropharmacology", "Neuropharmacology", "0236217", "0028-3908", "1873-7064",
            "England", "Elsevier BV", "neuropharm", kinds=("preclinical",)),
    Journal("Pharmacology, biochemistry, and behavior", "Pharmacol Biochem Behav", "0367050",
            "0091-3057", "1873-5177", "United States", "Elsevier BV", "pbb", kinds=("preclinical",)),
    Journal("Behavioural brain research", "Behav Brain Res", "8004872", "0166-4328", "1872-7549",
            "Netherlands", "Elsevier BV", "bbr", kinds=("preclinical",)),
    Journal("Pain", "Pain", "7508686", "0304-3959", "1872-6623", "United States",
            "Ovid Technologies (Wolters Kluwer Health)", "pain", kinds=("pain",)),
    Journal("Anesthesia and analgesia", "Anesth Analg", "1310650", "0003-2999", "1526-7598",
            "United States", "Ovid Technologies (Wolters Kluwer Health)", "aa",
            kinds=("perioperative", "pain")),
    Journal("BMC anesthesiology", "BMC Anesthesiol", "100968535", None, "1471-2253", "England",
            "Springer Science and Business Media LLC", "bmcanes", pmc_share=1.0,
            electronic_only=True, kinds=("perioperative",)),
    Journal("Drug and alcohol dependence", "Drug Alcohol Depend", "7513587", "0376-8716",
            "1879-0046", "Ireland", "Elsevier BV", "dad", kinds=("substance",)),
    Journal("Addiction (Abingdon, England)", "Addiction", "9304118", "0965-2140", "1360-0443",
            "England", "Wiley", "add", kinds=("substance",)),
    Journal("Journal of psychiatric research", "J Psychiatr Res", "0376331", "0022-3956",
            "1879-1379", "England", "Elsevier BV", "jpsychires", kinds=("psychiatry",)),
    Journal("Acta psychiatrica Scandinavica", "Acta Psychiatr Scand", "0370364", "0001-690X",
            "1600-0447", "United States", "Wiley", "acps", kinds=("psychiatry", "synthesis")),
    Journal("Cureus", "Cureus", "101596737", None, "2168-8184", "United States",
            "Springer Science and Business Media LLC", "cureus", medline=False, pmc_share=1.0,
            electronic_only=True, kinds=("case",)),
    Journal("Case reports in psychiatry", "Case Rep Psychiatry", "101583335", "2090-682X",
            "2090-6838", "United States", "Wiley", "crps", medline=False, pmc_share=1.0,
            electronic_only=True, kinds=("case",)),
    Journal("Zhonghua yi xue za zhi", "Zhonghua Yi Xue Za Zhi", "7511141", "0376-2491", None,
            "China", "Chinese Medical Association", "cmaj-zh", language="chi", kinds=("foreign",)),
    Journal("Der Nervenarzt", "Nervenarzt", "0400773", "0028-2804", "1433-0407", "Germany",
            "Springer Science and Business Media LLC", "nervenarzt", language="ger",
            kinds=("foreign",)),
    Journal("Actas espanolas de psiquiatria", "Actas Esp Psiquiatr", "100886502", "1139-9287",
            "1578-2735", "Spain", "Juan José López-Ibor Foundation", "aep", language="spa",
            kinds=("foreign",)),
    Journal("L'Encephale", "Encephale", "7505643", "0013-7006", None, "France", "Elsevier BV",
            "encep", language="fre", kinds=("foreign",)),
)

#: which journal kinds suit a design / condition
JOURNAL_KINDS_BY_DESIGN = {
    "preclinical": ("preclinical",),
    "case-report": ("case",),
    "meta-analysis": ("synthesis", "psychiatry", "top"),
    "systematic-review": ("synthesis", "psychiatry"),
    "review": ("synthesis", "psychiatry"),
    "guideline": ("synthesis", "top", "psychiatry"),
    "observational": ("observational", "psychiatry"),
    "rct": ("top", "psychiatry"),
    "clinical-trial": ("psychiatry",),
    "editorial": ("top", "psychiatry", "synthesis"),
}

# ---------------------------------------------------------------------------------------------
# drugs, routes, conditions
# ---------------------------------------------------------------------------------------------

#: ChemicalList entries: (registry number, UI, name)
CHEMICALS = {
    "ketamine": [("690G0D6V8H", "D007649", "Ketamine")],
    "esketamine": [("50LFG02TXD", "C000629870", "Esketamine"), ("690G0D6V8H", "D007649", "Ketamine")],
    "arketamine": [("0", "C000710532", "arketamine"), ("690G0D6V8H", "D007649", "Ketamine")],
}
CHEMICAL_EXTRAS = {
    "antidepressant": ("0", "D000928", "Antidepressive Agents"),
    "nmda": ("0", "D018691", "Excitatory Amino Acid Antagonists"),
    "spray": ("0", "D059085", "Nasal Sprays"),
    "midazolam": ("R60L0SM5BC", "D008874", "Midazolam"),
    "analgesic": ("0", "D000700", "Analgesics"),
    "bdnf": ("0", "D019208", "Brain-Derived Neurotrophic Factor"),
    "nmdar": ("0", "D016194", "Receptors, N-Methyl-D-Aspartate"),
}

#: ClinicalTrials.gov intervention names and other names per drug
CT_DRUG_NAMES = {
    "ketamine": (("Ketamine", ()), ("Ketamine hydrochloride", ("Ketalar",)),
                 ("Ketamine Hydrochloride Injection", ())),
    "esketamine": (("Esketamine", ("JNJ-54135419",)), ("Esketamine nasal spray", ("Spravato",)),
                   ("Esketamine hydrochloride", ())),
    "arketamine": (("Arketamine", ("(R)-ketamine",)), ("Arketamine hydrochloride", ())),
}

ROUTE_ADJ = {"iv": "intravenous", "intranasal": "intranasal", "oral": "oral",
             "im": "intramuscular", "sublingual": "sublingual", "subcutaneous": "subcutaneous"}

#: MeSH descriptors for routes
ROUTE_MESH = {
    "iv": ("D061605", "Administration, Intravenous"),
    "intranasal": ("D000281", "Administration, Intranasal"),
    "oral": ("D000284", "Administration, Oral"),
    "im": ("D007273", "Injections, Intramuscular"),
    "sublingual": ("D000287", "Administration, Sublingual"),
    "subcutaneous": ("D007279", "Injections, Subcutaneous"),
}

#: route weights for human studies of each drug
ROUTE_WEIGHTS = {
    "ketamine": {"iv": 55, "oral": 12, "intranasal": 8, "im": 8, "sublingual": 7, "subcutaneous": 10},
    "esketamine": {"intranasal": 68, "iv": 27, "subcutaneous": 5},
    "arketamine": {"iv": 80, "oral": 20},
}

#: dose phrases per (drug, route)
DOSES = {
    ("ketamine", "iv"): ("0.5 mg/kg over 40 minutes", "0.5 mg/kg", "0.75 mg/kg over 40 minutes",
                         "0.5 mg/kg infused over 45 minutes"),
    ("ketamine", "oral"): ("0.5 mg/kg", "1 mg/kg", "doses titrated from 0.5 to 3.0 mg/kg"),
    ("ketamine", "intranasal"): ("50 mg", "1 mg/kg"),
    ("ketamine", "im"): ("0.5 mg/kg", "1 mg/kg"),
    ("ketamine", "sublingual"): ("a 50-150 mg wafer", "1 mg/kg lozenge"),
    ("ketamine", "subcutaneous"): ("0.5 mg/kg", "doses titrated from 0.1 to 0.5 mg/kg"),
    ("esketamine", "intranasal"): ("56 or 84 mg", "28-84 mg", "84 mg"),
    ("esketamine", "iv"): ("0.2 mg/kg", "0.25 mg/kg", "0.5 mg/kg"),
    ("esketamine", "subcutaneous"): ("0.5 mg/kg", "doses titrated from 0.5 to 1.0 mg/kg"),
    ("arketamine", "iv"): ("0.5 mg/kg", "30 or 60 mg"),
    ("arketamine", "oral"): ("1 mg/kg",),
}

#: adverse events reported per drug
ADVERSE_EVENTS = {
    "ketamine": ("transient dissociation", "nausea", "dizziness", "headache",
                 "transient increases in blood pressure", "blurred vision"),
    "esketamine": ("dissociation", "dizziness", "nausea", "vertigo", "dysgeusia", "somnolence"),
    "arketamine": ("mild dizziness", "headache", "fatigue"),
}


@dataclass(frozen=True)
class Condition:
    """One way of naming a condition of the vocabulary, with everything that goes with it."""

    key: str
    phrase: str
    abbr: str | None
    symptoms: str
    scale: tuple[str, str]
    mesh: tuple[tuple[str, str], ...]
    ct_name: str
    population: tuple[str, ...] = ("adults", "outpatients")
    model: str | None = None  # preclinical model for this condition
    setting: str = "psychiatric"  # psychiatric | perioperative | emergency | pain | addiction


_MADRS = ("Montgomery-Åsberg Depression Rating Scale", "MADRS")
_HAMD = ("17-item Hamilton Depression Rating Scale", "HAMD-17")

CONDITIONS = (
    Condition("depression", "major depressive disorder", "MDD", "depressive symptoms", _MADRS,
              (("D003865", "Depressive Disorder, Major"),), "Major Depressive Disorder",
              ("adults", "outpatients", "inpatients"),
              "chronic social defeat stress (CSDS)"),
    Condition("depression", "major depression", None, "depressive symptoms", _HAMD,
              (("D003865", "Depressive Disorder, Major"),), "Major Depression",
              ("adults", "outpatients", "older adults"),
              "chronic unpredictable mild stress (CUMS)"),
    Condition("depression", "postpartum depression", "PPD", "depressive symptoms",
              ("Edinburgh Postnatal Depression Scale", "EPDS"),
              (("D019052", "Depression, Postpartum"),), "Postpartum Depression",
              ("women undergoing cesarean delivery",), None, "perioperative"),
    Condition("depression", "perioperative depressive symptoms", None, "depressive symptoms",
              _HAMD, (("D003863", "Depression"),), "Depression",
              ("older patients undergoing major surgery",), None, "perioperative"),
    Condition("depression", "depression", None, "depressive symptoms", _MADRS,
              (("D003863", "Depression"),), "Depression", ("adults", "older adults"),
              "lipopolysaccharide (LPS)-induced inflammation"),
    Condition("trd", "treatment-resistant depression", "TRD", "depressive symptoms", _MADRS,
              (("D061218", "Depressive Disorder, Treatment-Resistant"),),
              "Treatment Resistant Depression", ("adults", "outpatients", "older adults", "veterans"),
              "repeated adrenocorticotropic hormone (ACTH) treatment, a model of "
              "treatment-resistant depression"),
    Condition("trd", "treatment-resistant major depressive disorder", "TRD", "depressive symptoms",
              _MADRS, (("D061218", "Depressive Disorder, Treatment-Resistant"),),
              "Treatment-resistant Depression", ("adults", "outpatients")),
    Condition("bipolar-depression", "bipolar depression", None, "depressive symptoms", _MADRS,
              (("D001714", "Bipolar Disorder"),), "Bipolar Depression", ("adults", "inpatients")),
    Condition("bipolar-depression", "bipolar I or II depression", None, "depressive symptoms",
              _MADRS, (("D001714", "Bipolar Disorder"),), "Bipolar Disorder, Depressed Phase",
              ("adults", "outpatients")),
    Condition("ptsd", "posttraumatic stress disorder", "PTSD", "PTSD symptom severity",
              ("Clinician-Administered PTSD Scale for DSM-5", "CAPS-5"),
              (("D013313", "Stress Disorders, Post-Traumatic"),), "Post-traumatic Stress Disorder",
              ("adults", "veterans"), "single prolonged stress (SPS)"),
    Condition("ptsd", "chronic posttraumatic stress disorder", "PTSD", "PTSD symptom severity",
              ("PTSD Checklist for DSM-5", "PCL-5"),
              (("D013313", "Stress Disorders, Post-Traumatic"),), "PTSD", ("veterans", "adults")),
    Condition("ocd", "obsessive-compulsive disorder", "OCD", "obsessive-compulsive symptoms",
              ("Yale-Brown Obsessive Compulsive Scale", "Y-BOCS"),
              (("D009771", "Obsessive-Compulsive Disorder"),), "Obsessive-Compulsive Disorder",
              ("adults", "outpatients"), "quinpirole-induced compulsive checking"),
    Condition("suicidal-ideation", "suicidal ideation", None, "suicidal ideation",
              ("Beck Scale for Suicidal Ideation", "BSS"),
              (("D059020", "Suicidal Ideation"),), "Suicidal Ideation",
              ("patients presenting to the emergency department", "inpatients", "adults"),
              None, "emergency"),
    Condition("suicidal-ideation", "acute suicidal ideation", None, "suicidal ideation",
              ("Columbia Suicide Severity Rating Scale", "C-SSRS"),
              (("D059020", "Suicidal Ideation"),), "Suicidal Ideation", ("inpatients", "adults"),
              None, "emergency"),
    Condition("anxiety", "generalized anxiety disorder", "GAD", "anxiety symptoms",
              ("Hamilton Anxiety Rating Scale", "HAM-A"),
              (("D001008", "Anxiety Disorders"),), "Generalized Anxiety Disorder",
              ("adults", "outpatients"), "chronic restraint stress with anxiety-like behavior"),
    Condition("anxiety", "social anxiety disorder", "SAD", "social anxiety symptoms",
              ("Liebowitz Social Anxiety Scale", "LSAS"),
              (("D000072861", "Phobia, Social"),), "Social Anxiety Disorder", ("adults",)),
    Condition("substance-use", "alcohol use disorder", "AUD", "heavy drinking",
              ("Timeline Followback percentage of heavy drinking days", "PHDD"),
              (("D000437", "Alcoholism"),), "Alcohol Use Disorder", ("adults",),
              "intermittent alcohol access in rats", "addiction"),
    Condition("substance-use", "cocaine use disorder", None, "cocaine use",
              ("urine toxicology-confirmed cocaine abstinence", "abstinence"),
              (("D019970", "Cocaine-Related Disorders"),), "Cocaine Use Disorder", ("adults",),
              "cocaine self-administration", "addiction"),
    Condition("substance-use", "opioid use disorder", "OUD", "opioid craving",
              ("Visual Analog Scale for craving", "VAS-craving"),
              (("D009293", "Opioid-Related Disorders"),), "Opioid Use Disorder", ("adults",),
              None, "addiction"),
    Condition("chronic-pain", "chronic neuropathic pain", None, "pain intensity",
              ("11-point numeric rating scale", "NRS"),
              (("D009437", "Neuralgia"), ("D059350", "Chronic Pain")), "Neuropathic Pain",
              ("adults",), "spared nerve injury", "pain"),
    Condition("chronic-pain", "fibromyalgia", None, "pain intensity",
              ("Fibromyalgia Impact Questionnaire", "FIQ"),
              (("D005356", "Fibromyalgia"),), "Fibromyalgia", ("adults",), None, "pain"),
    Condition("chronic-pain", "complex regional pain syndrome", "CRPS", "pain intensity",
              ("11-point numeric rating scale", "NRS"),
              (("D020918", "Complex Regional Pain Syndromes"),), "Complex Regional Pain Syndrome",
              ("adults",), None, "pain"),
    Condition("chronic-pain", "chronic pain", None, "pain intensity",
              ("Brief Pain Inventory", "BPI"), (("D059350", "Chronic Pain"),), "Chronic Pain",
              ("adults", "older adults"), "complete Freund's adjuvant-induced inflammation", "pain"),
    Condition("other", "postoperative delirium", "POD", "delirium",
              ("Confusion Assessment Method", "CAM"),
              (("D003693", "Delirium"), ("D011183", "Postoperative Complications")),
              "Postoperative Delirium", ("older patients undergoing major surgery",),
              "surgery under anesthesia in aged mice", "perioperative"),
    Condition("other", "anorexia nervosa", "AN", "eating disorder symptoms",
              ("Eating Disorder Examination Questionnaire", "EDE-Q"),
              (("D000856", "Anorexia Nervosa"),), "Anorexia Nervosa", ("adults",),
              "activity-based anorexia"),
    Condition("other", "acute agitation", None, "agitation",
              ("Richmond Agitation-Sedation Scale", "RASS"),
              (("D011595", "Psychomotor Agitation"),), "Agitation, Psychomotor",
              ("patients presenting to the emergency department",), None, "emergency"),
)

CONDITIONS_BY_KEY: dict[str, tuple[Condition, ...]] = {}
for _c in CONDITIONS:
    CONDITIONS_BY_KEY[_c.key] = (*CONDITIONS_BY_KEY.get(_c.key, ()), _c)

#: condition weights per drug
CONDITION_WEIGHTS = {
    "ketamine": {"depression": 18, "trd": 22, "bipolar-depression": 7, "ptsd": 10, "ocd": 5,
                 "suicidal-ideation": 12, "anxiety": 6, "substance-use": 8, "chronic-pain": 8,
                 "other": 4},
    "esketamine": {"depression": 30, "trd": 38, "bipolar-depression": 3, "ptsd": 3, "ocd": 1,
                   "suicidal-ideation": 12, "anxiety": 3, "substance-use": 1, "chronic-pain": 2,
                   "other": 7},
    "arketamine": {"depression": 55, "trd": 10, "ptsd": 8, "ocd": 5, "anxiety": 5,
                   "substance-use": 6, "chronic-pain": 6, "other": 5},
}

#: design weights per drug (articles only; registrations and notices are drawn separately)
DESIGN_WEIGHTS = {
    "ketamine": {"rct": 18, "clinical-trial": 10, "observational": 15, "meta-analysis": 6,
                 "systematic-review": 5, "case-report": 9, "review": 13, "guideline": 2,
                 "preclinical": 17, "editorial": 5},
    "esketamine": {"rct": 30, "clinical-trial": 8, "observational": 18, "meta-analysis": 10,
                   "systematic-review": 5, "case-report": 8, "review": 10, "guideline": 3,
                   "preclinical": 4, "editorial": 4},
    "arketamine": {"rct": 5, "clinical-trial": 6, "review": 15, "preclinical": 65,
                   "systematic-review": 5, "editorial": 4},
}

DRUG_WEIGHTS = {"ketamine": 55, "esketamine": 30, "arketamine": 15}

#: comparators for controlled human studies: (long phrase, short phrase)
COMPARATORS = {
    "default": (("saline placebo", "placebo"), ("midazolam (0.045 mg/kg), an active placebo",
                                                "midazolam")),
    "intranasal": (("placebo nasal spray", "placebo"),),
    "perioperative": (("normal saline", "saline"),),
    "active": (("electroconvulsive therapy (ECT)", "ECT"),
               ("extended-release quetiapine", "quetiapine")),
}

SPECIES = (("male C57BL/6J mice", "mice"), ("adult male Sprague-Dawley rats", "rats"),
           ("male ICR mice", "mice"), ("female Wistar rats", "rats"), ("male BALB/c mice", "mice"))

SPECIES_MESH = {"mice": [("D051379", "Mice"), ("D008810", "Mice, Inbred C57BL")],
                "rats": [("D051381", "Rats"), ("D017207", "Rats, Sprague-Dawley")]}

#: preclinical mechanisms: (name, finding "{drug} also ...", brain regions it is studied in)
MECHANISMS = (
    ("brain-derived neurotrophic factor (BDNF)-TrkB signaling",
     "restored BDNF-TrkB signaling in the {region}", ("medial prefrontal cortex", "hippocampus")),
    ("mechanistic target of rapamycin complex 1 (mTORC1) signaling",
     "increased mTORC1 signaling and synaptic protein expression in the {region}",
     ("medial prefrontal cortex",)),
    ("AMPA receptor-dependent synaptogenesis", "restored dendritic spine density in the {region}",
     ("medial prefrontal cortex", "hippocampus")),
    ("microglial activation and neuroinflammation",
     "suppressed microglial activation and pro-inflammatory cytokine expression in the {region}",
     ("hippocampus", "medial prefrontal cortex")),
    ("the gut-microbiota-brain axis", "normalized stress-induced changes in gut microbiota "
     "composition", ()),
    ("TGF-β1 signaling", "restored TGF-β1 expression in the {region}",
     ("medial prefrontal cortex", "hippocampus")),
    ("lateral habenula burst firing", "suppressed NMDA receptor-dependent burst firing in the {region}",
     ("lateral habenula",)),
)

# ---------------------------------------------------------------------------------------------
# MeSH and publication types
# ---------------------------------------------------------------------------------------------

MESH_HUMANS = ("D006801", "Humans")
MESH_ANIMALS = ("D000818", "Animals")
MESH_SEX = {"M": ("D008297", "Male"), "F": ("D005260", "Female")}
MESH_AGES = (("D000328", "Adult"), ("D008875", "Middle Aged"), ("D000368", "Aged"),
             ("D055815", "Young Adult"))
MESH_KETAMINE = ("D007649", "Ketamine")
MESH_ANTIDEPRESSANT = ("D000928", "Antidepressive Agents")
MESH_BY_DESIGN = {
    "rct": (("D004311", "Double-Blind Method"), ("D016896", "Treatment Outcome")),
    "clinical-trial": (("D016896", "Treatment Outcome"), ("D010865", "Pilot Projects")),
    "observational": (("D012189", "Retrospective Studies"), ("D015331", "Cohort Studies")),
    "meta-analysis": (),
    "systematic-review": (),
    "case-report": (),
    "review": (("D018691", "Excitatory Amino Acid Antagonists"),),
    "guideline": (("D017410", "Practice Guidelines as Topic"),),
    "preclinical": (("D004195", "Disease Models, Animal"), ("D001522", "Behavior, Animal"),
                    ("D013315", "Stress, Psychological")),
    "editorial": (),
}
QUALIFIERS = {
    "drug": (("Q000008", "administration & dosage"), ("Q000627", "therapeutic use"),
             ("Q000009", "adverse effects"), ("Q000494", "pharmacology")),
    "condition": (("Q000188", "drug therapy"), ("Q000523", "psychology"),
                  ("Q000503", "physiopathology")),
}

PUBTYPE_UI = {
    "Journal Article": "D016428",
    "Randomized Controlled Trial": "D016449",
    "Clinical Trial": "D016430",
    "Clinical Trial, Phase I": "D017426",
    "Clinical Trial, Phase II": "D017427",
    "Clinical Trial, Phase III": "D017428",
    "Controlled Clinical Trial": "D018848",
    "Multicenter Study": "D016448",
    "Meta-Analysis": "D017418",
    "Systematic Review": "D000078182",
    "Review": "D016454",
    "Case Reports": "D002363",
    "Observational Study": "D064888",
    "Practice Guideline": "D017065",
    "Guideline": "D016431",
    "Editorial": "D016421",
    "Comment": "D016420",
    "Letter": "D016422",
    "Published Erratum": "D016425",
    "Retraction of Publication": "D016441",
    "Retracted Publication": "D016440",
    "Expression of Concern": "D000072638",
    "Research Support, Non-U.S. Gov't": "D013485",
    "Research Support, N.I.H., Extramural": "D052061",
    "Comparative Study": "D003160",
    "English Abstract": "D004740",
}

#: NIH institutes for GrantList
GRANT_AGENCIES = (("MH", "NIMH NIH HHS"), ("AA", "NIAAA NIH HHS"), ("DA", "NIDA NIH HHS"),
                  ("NS", "NINDS NIH HHS"), ("TR", "NCATS NIH HHS"))

# ---------------------------------------------------------------------------------------------
# preprint servers and noise
# ---------------------------------------------------------------------------------------------

MEDRXIV_CATEGORIES = {
    "psychiatric": "psychiatry and clinical psychology", "perioperative": "anesthesia",
    "emergency": "emergency medicine", "pain": "pain medicine", "addiction": "addiction medicine",
}
MEDRXIV_LICENSES = ("cc_by", "cc_by_nc_nd", "cc_no", "cc_by_nd", "cc_by_nc", "cc0")

#: Europe PMC preprint servers: (publisher label, DOI pattern)
PPR_SERVERS = (
    ("Research Square", "10.21203/rs.3.rs-{n}/v{v}"),
    ("SSRN", "10.2139/ssrn.{n}"),
    ("PsyArXiv", "10.31234/osf.io/{code}"),
)

#: unrelated medRxiv preprints (the spider must filter them out):
#: (category, title pattern, populations, designs, outcome)
NOISE_TOPICS = (
    ("cardiovascular medicine", "Sodium-glucose cotransporter 2 inhibitors and heart failure "
     "hospitalization in {pop}: a {design}", ("older adults", "adults with type 2 diabetes",
                                              "a national cohort"),
     ("retrospective cohort study", "target trial emulation"), "heart failure hospitalization"),
    ("cardiovascular medicine", "Atrial fibrillation screening with consumer smartwatches in "
     "{pop}: a {design}", ("older adults", "adults in primary care"),
     ("randomized controlled trial", "prospective cohort study"), "newly diagnosed atrial fibrillation"),
    ("cardiovascular medicine", "Lipoprotein(a) and incident coronary heart disease in {pop}: a "
     "{design}", ("a multi-ethnic population", "middle-aged adults"),
     ("prospective cohort study", "Mendelian randomization study"), "incident coronary heart disease"),
    ("epidemiology", "Trends in type 2 diabetes incidence among {pop}, 2010-2024: a {design}",
     ("adults in primary care", "young adults", "a national cohort"),
     ("retrospective cohort study", "cross-sectional study"), "incident type 2 diabetes"),
    ("epidemiology", "Air pollution exposure and preterm birth in {pop}: a {design}",
     ("pregnant women", "a national birth cohort"), ("retrospective cohort study",
                                                    "case-crossover study"), "preterm birth"),
    ("infectious diseases", "Respiratory syncytial virus hospitalization in {pop}: a {design}",
     ("older adults", "infants", "hospitalized patients"),
     ("prospective cohort study", "test-negative case-control study"), "RSV-associated hospitalization"),
    ("infectious diseases", "Antimicrobial resistance in community-acquired urinary tract "
     "infections in {pop}: a {design}", ("women in primary care", "older adults"),
     ("cross-sectional study", "retrospective cohort study"), "resistance to first-line antibiotics"),
    ("public and global health", "Food insecurity and hypertension control in {pop}: a {design}",
     ("low-income adults", "veterans"), ("cross-sectional study", "prospective cohort study"),
     "uncontrolled hypertension"),
    ("oncology", "Circulating tumour DNA for recurrence surveillance after resection of colorectal "
     "cancer in {pop}: a {design}", ("adults", "older adults"),
     ("prospective cohort study", "diagnostic accuracy study"), "recurrence"),
    ("endocrinology", "Continuous glucose monitoring and glycaemic control in {pop}: a {design}",
     ("adults with type 2 diabetes", "children with type 1 diabetes"),
     ("randomized controlled trial", "retrospective cohort study"), "HbA1c reduction"),
    ("nephrology", "Estimated glomerular filtration rate decline after acute kidney injury in "
     "{pop}: a {design}", ("hospitalized adults", "older adults"),
     ("retrospective cohort study",), "a 40% decline in eGFR"),
    ("respiratory medicine", "Long-term lung function after severe COVID-19 in {pop}: a {design}",
     ("hospitalized adults", "intensive care survivors"), ("prospective cohort study",),
     "reduced diffusing capacity"),
    ("health informatics", "A machine learning model to predict sepsis in {pop}: a {design}",
     ("emergency department patients", "hospitalized adults"),
     ("development and validation study",), "sepsis within 48 hours"),
    ("psychiatry and clinical psychology", "Psilocybin-assisted therapy for major depressive "
     "disorder in {pop}: a {design}", ("adults", "veterans"),
     ("randomized controlled trial", "open-label trial"), "change in depression severity"),
    ("psychiatry and clinical psychology", "Accelerated transcranial magnetic stimulation for "
     "depression in {pop}: a {design}", ("adults", "older adults"),
     ("randomized controlled trial", "retrospective cohort study"), "remission"),
    ("psychiatry and clinical psychology", "Internet-delivered cognitive behavioural therapy for "
     "insomnia in {pop}: a {design}", ("adults", "university students"),
     ("randomized controlled trial",), "insomnia severity"),
    ("neurology", "Blood biomarkers of amyloid pathology in {pop}: a {design}",
     ("older adults with memory complaints", "a memory clinic cohort"),
     ("diagnostic accuracy study", "prospective cohort study"), "amyloid positivity"),
)

#: Europe PMC hits that mention ketamine only as an anaesthetic in animal methods
EPMC_NOISE_TITLES = (
    "Cortical microglia dynamics after photothrombotic stroke in mice",
    "Two-photon imaging of dendritic calcium signals in barrel cortex of anaesthetized rats",
    "A minimally invasive model of intracerebral haemorrhage in mice",
    "Retinal ganglion cell survival after optic nerve crush in rats",
    "Cardiac function after transverse aortic constriction in mice",
    "Spinal cord injury recovery after cell transplantation in rats",
)

#: fictional industry sponsors (academic sponsors are built from PLACES)
CT_SPONSORS = (
    ("Northbridge Neuroscience, Inc.", "INDUSTRY"),
    ("Rapid Mood Therapeutics Inc.", "INDUSTRY"),
    ("Helix Psychopharma AG", "INDUSTRY"),
)

#: (organization pattern, class) for academic sponsors; "{city}" filled from PLACES
CT_ACADEMIC = ("University of {city}", "{city} University Hospital", "{city} Medical University")

WHY_STOPPED = (
    "Slow recruitment", "Funding ended", "Sponsor decision", "PI left the institution",
    "Enrollment paused because of the COVID-19 pandemic and not resumed",
    "Drug supply issues",
)

#: MeSH ancestors of ketamine for the ClinicalTrials.gov derived section
CT_DRUG_ANCESTORS = (("D000777", "Anesthetics, Dissociative"),
                     ("D018691", "Excitatory Amino Acid Antagonists"),
                     ("D000700", "Analgesics"), ("D002492", "Central Nervous System Depressants"))

KEYWORDS_COMMON = ("NMDA receptor antagonist", "rapid-acting antidepressant", "glutamate",
                   "neuroplasticity", "dissociation")

# foreign-language titles: (language, template, drug restriction or None)
VERNACULAR = {
    "chi": ("艾司氯胺酮对{cond_zh}的影响", "氯胺酮治疗{cond_zh}的临床研究"),
    "ger": ("{drug_de} bei {cond_de}: Erfahrungen aus der klinischen Praxis",
            "Wirksamkeit von {drug_de} bei {cond_de}"),
    "spa": ("{drug_es} en {cond_es}: revisión sistemática",
            "Eficacia de {drug_es} en pacientes con {cond_es}"),
    "fre": ("{drug_fr} et {cond_fr} : étude rétrospective",
            "Efficacité de {drug_fr} dans {cond_fr}"),
}
VERNACULAR_WORDS = {
    "cond_zh": {"trd": "难治性抑郁症", "depression": "产后抑郁", "suicidal-ideation": "自杀意念"},
    "cond_de": {"trd": "therapieresistenter Depression", "depression": "Depression",
                "suicidal-ideation": "Suizidgedanken"},
    "cond_es": {"trd": "la depresión resistente al tratamiento", "depression": "la depresión",
                "suicidal-ideation": "la ideación suicida"},
    "cond_fr": {"trd": "la dépression résistante", "depression": "la dépression",
                "suicidal-ideation": "les idées suicidaires"},
    "drug_de": {"ketamine": "Ketamin", "esketamine": "Esketamin-Nasenspray"},
    "drug_es": {"ketamine": "Ketamina intravenosa", "esketamine": "Esketamina"},
    "drug_fr": {"ketamine": "Kétamine", "esketamine": "Eskétamine"},
}
