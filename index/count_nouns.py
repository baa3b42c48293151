"""What news counts, in both languages: so that an English "how many containers" finds "1,200
حاوية" in an Arabic sentence, and "كم قتيلا" finds "27 people were killed".

Each line is one thing counted, its English words then its Arabic ones (singular and plural; the
stemmer of ``index/normalize.py`` folds the rest). A question's counted noun and the noun after a
number in a sentence of the other language match when they share a line. A word on no line
matches nothing across languages: the rules then show no short answer rather than guess.
"""

from __future__ import annotations

from collections.abc import Callable

_LINES = """
people persons individuals residents inhabitants citizens civilians | شخص أشخاص نسمة مواطن مواطنين مدني مدنيين ناس الناس سكان
killed dead deaths died fatalities victims toll lives | قتيل قتلى قتلوا وفاة وفيات ضحية ضحايا حصيلة مصرع قتل
injured wounded injuries casualties | جريح جرحى مصاب مصابين إصابة إصابات
children kids boys girls | طفل أطفال صبي فتاة
women | امرأة نساء سيدة سيدات
men | رجل رجال
soldiers troops fighters militants gunmen | جندي جنود عسكري عسكريين مقاتل مقاتلين مسلح مسلحين
police officers policemen | شرطي شرطة ضابط ضباط
prisoners detainees hostages captives | سجين سجناء معتقل معتقلين رهينة رهائن أسير أسرى محتجز محتجزين
refugees migrants displaced | لاجئ لاجئين مهاجر مهاجرين نازح نازحين
students pupils | طالب طلاب تلميذ تلاميذ
teachers | معلم معلمين مدرس مدرسين
workers employees staff jobs | عامل عمال موظف موظفين وظيفة وظائف
doctors physicians | طبيب أطباء
patients cases infections | مريض مرضى حالة حالات إصابة إصابات
passengers travellers travelers | راكب ركاب مسافر مسافرين
tourists visitors | سائح سياح زائر زوار
members | عضو أعضاء
votes | صوت أصوات
seats | مقعد مقاعد
countries nations states | دولة دول بلد بلدان
cities towns | مدينة مدن بلدة
villages | قرية قرى
provinces regions districts areas | محافظة محافظات منطقة مناطق إقليم أقاليم
houses homes buildings | منزل منازل بيت بيوت مبنى مباني
schools | مدرسة مدارس
hospitals | مستشفى مستشفيات
containers | حاوية حاويات
ships vessels boats | سفينة سفن قارب قوارب
aircraft planes jets | طائرة طائرات
flights | رحلة رحلات
trucks lorries vehicles cars | شاحنة شاحنات مركبة مركبات سيارة سيارات
missiles rockets shells | صاروخ صواريخ قذيفة قذائف
drones | مسيرة مسيرات طائرة طائرات
weapons arms guns | سلاح أسلحة
tons tonnes | طن أطنان
barrels | برميل براميل
kilometres kilometers km | كيلومتر كيلومترات كلم
miles | ميل أميال
metres meters | متر أمتار
hectares | هكتار هكتارات
acres | فدان أفدنة
dollars | دولار دولارات
euros | يورو
pounds | جنيه جنيهات
days | يوم أيام
weeks | أسبوع أسابيع
months | شهر أشهر شهور
years | عام أعوام سنة سنوات
hours | ساعة ساعات
minutes | دقيقة دقائق
times occasions | مرة مرات
games matches | مباراة مباريات
goals | هدف أهداف
points | نقطة نقاط
medals | ميدالية ميداليات
awards prizes | جائزة جوائز
books | كتاب كتب
languages | لغة لغات
species | نوع أنواع
trees | شجرة أشجار
companies firms | شركة شركات
banks | بنك بنوك مصرف مصارف
stations | محطة محطات
phases stages | مرحلة مراحل
episodes | حلقة حلقات
songs | أغنية أغاني
films movies | فيلم أفلام
"""


def groups(stems: Callable[[str], frozenset[str]]) -> list[tuple[frozenset[str], frozenset[str]]]:
    """Each line as (English stems, Arabic stems), stemmed by ``stems``."""
    found = []
    for line in _LINES.strip().splitlines():
        english, arabic = line.split("|")
        found.append((stems(english), stems(arabic)))
    return found
