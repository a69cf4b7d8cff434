"""Conversation skills: following a style set in the system prompt, knowing who it is, and small talk.

Sub-families:
- `style`: the system prompt sets a style, tone or format; the user asks a simple general-knowledge question
  and the reply answers it in that style. meta: `style` (the constraint's name), `check` (a dict that
  `check_reply` verifies automatically), `fact` (index into FACTS).
- `identity`: "who are you / who made you / are you ChatGPT?" -> the assistant is AgentLM, a small
  open-source model trained on the user's own machine. meta: `identity` True, `name`, `asked`.
- `smalltalk`: greetings, thanks, goodbyes, jokes -> a short friendly reply. meta: {}.

`check` keys understood by `check_reply`: lowercase, uppercase, max_sentences, sentence_count, starts_with,
ends_with, bullets / numbered (+ min_items), word_count, max_chars, lang ("en"/"zh"), contains_any,
no_contractions, no_exclamation, json_keys.
"""

from __future__ import annotations

import json
import random
import re
from dataclasses import dataclass
from typing import Any

from agentlm.data.synth.base import Example, lower_first, pick


# ------------------------------------------------------------------------------------------------ fact pool
@dataclass(frozen=True)
class Fact:
    """A simple question with its answer in several lengths, in English and Chinese."""

    q_en: str
    q_zh: str
    sentence_en: str
    sentence_zh: str
    details_en: tuple[str, str]
    details_zh: tuple[str, str]
    word_en: str   # exactly one word
    three_en: str  # exactly three words
    word_zh: str   # at most 8 characters


FACTS: tuple[Fact, ...] = (
    Fact("How many days are in a week?", "一周有几天？", "A week has seven days.", "一周有七天。",
         ("They run from Monday to Sunday.", "Saturday and Sunday are usually the weekend."),
         ("从星期一到星期日。", "周六和周日通常是周末。"), "Seven.", "There are seven.", "七天。"),
    Fact("At what temperature does water boil?", "水在多少度沸腾？",
         "At sea level, water boils at 100 degrees Celsius.", "在海平面，水的沸点是100摄氏度。",
         ("That is 212 degrees Fahrenheit.", "At high altitude it boils at a lower temperature."),
         ("也就是212华氏度。", "海拔越高，沸点越低。"), "100°C.", "100 degrees Celsius.", "100摄氏度。"),
    Fact("What colour is the sky on a clear day?", "晴天时天空是什么颜色？", "The sky looks blue on a clear day.",
         "晴天时天空是蓝色的。", ("Air scatters blue sunlight more than other colours.",
                          "At sunset it often turns orange and red."),
         ("空气对蓝光的散射比其他颜色更强。", "日落时天空常常变成橙色和红色。"), "Blue.", "It looks blue.", "蓝色。"),
    Fact("What is the capital of France?", "法国的首都是哪里？", "The capital of France is Paris.",
         "法国的首都是巴黎。",
         ("Paris is also the largest city in France.", "The river Seine runs through it."),
         ("巴黎也是法国最大的城市。", "塞纳河流经这座城市。"), "Paris.", "It is Paris.", "巴黎。"),
    Fact("What is the capital of Japan?", "日本的首都是哪里？", "The capital of Japan is Tokyo.", "日本的首都是东京。",
         ("Tokyo is on the island of Honshu.", "It is one of the largest cities in the world."),
         ("东京位于本州岛。", "它是世界上最大的城市之一。"), "Tokyo.", "It is Tokyo.", "东京。"),
    Fact("What is the capital of Italy?", "意大利的首都是哪里？", "The capital of Italy is Rome.",
         "意大利的首都是罗马。",
         ("Rome is famous for the Colosseum.", "It was the centre of the Roman Empire."),
         ("罗马以古罗马斗兽场闻名。", "它曾是罗马帝国的中心。"), "Rome.", "It is Rome.", "罗马。"),
    Fact("What is the capital of Canada?", "加拿大的首都是哪里？", "The capital of Canada is Ottawa.",
         "加拿大的首都是渥太华。", ("Ottawa is in the province of Ontario.",
                           "Many people guess Toronto, but Toronto is the largest city."),
         ("渥太华位于安大略省。", "很多人以为是多伦多，但多伦多只是最大的城市。"), "Ottawa.", "It is Ottawa.",
         "渥太华。"),
    Fact("What is the capital of Australia?", "澳大利亚的首都是哪里？", "The capital of Australia is Canberra.",
         "澳大利亚的首都是堪培拉。", ("Canberra was built as a planned capital city.",
                             "It lies between Sydney and Melbourne."),
         ("堪培拉是一座规划建设的首都。", "它位于悉尼和墨尔本之间。"), "Canberra.", "It is Canberra.", "堪培拉。"),
    Fact("What is the capital of Egypt?", "埃及的首都是哪里？", "The capital of Egypt is Cairo.", "埃及的首都是开罗。",
         ("Cairo lies on the river Nile.", "The pyramids of Giza are nearby."),
         ("开罗位于尼罗河畔。", "吉萨金字塔就在附近。"), "Cairo.", "It is Cairo.", "开罗。"),
    Fact("What is the capital of Germany?", "德国的首都是哪里？", "The capital of Germany is Berlin.",
         "德国的首都是柏林。", ("Berlin is also the largest city in Germany.", "The Brandenburg Gate stands there."),
         ("柏林也是德国最大的城市。", "勃兰登堡门就在那里。"), "Berlin.", "It is Berlin.", "柏林。"),
    Fact("What is the capital of Spain?", "西班牙的首都是哪里？", "The capital of Spain is Madrid.",
         "西班牙的首都是马德里。", ("Madrid sits near the centre of the country.", "It is home to the Prado museum."),
         ("马德里位于西班牙中部。", "著名的普拉多博物馆就在那里。"), "Madrid.", "It is Madrid.", "马德里。"),
    Fact("What is the capital of Kenya?", "肯尼亚的首都是哪里？", "The capital of Kenya is Nairobi.",
         "肯尼亚的首都是内罗毕。", ("Nairobi is the largest city in Kenya.", "It has a national park inside the city."),
         ("内罗毕是肯尼亚最大的城市。", "城市里还有一座国家公园。"), "Nairobi.", "It is Nairobi.", "内罗毕。"),
    Fact("How many legs does a spider have?", "蜘蛛有几条腿？", "A spider has eight legs.", "蜘蛛有八条腿。",
         ("Spiders are arachnids, not insects.", "Insects have six legs."),
         ("蜘蛛属于蛛形纲，不是昆虫。", "昆虫有六条腿。"), "Eight.", "It has eight.", "八条。"),
    Fact("How many planets are in the solar system?", "太阳系有几颗行星？",
         "There are eight planets in the solar system.",
         "太阳系有八颗行星。", ("Mercury is the closest one to the Sun.", "Pluto is now called a dwarf planet."),
         ("水星离太阳最近。", "冥王星现在被归为矮行星。"), "Eight.", "There are eight.", "八颗。"),
    Fact("What is the largest ocean on Earth?", "地球上最大的海洋是哪个？",
         "The Pacific Ocean is the largest ocean on Earth.",
         "太平洋是地球上最大的海洋。", ("It covers about a third of the surface of the planet.",
                                "It lies between Asia, Australia and the Americas."),
         ("它覆盖了地球表面约三分之一。", "它位于亚洲、澳大利亚和美洲之间。"), "Pacific.", "The Pacific Ocean.",
         "太平洋。"),
    Fact("At what temperature does water freeze?", "水在多少度结冰？", "Water freezes at 0 degrees Celsius.",
         "水在0摄氏度结冰。", ("That is 32 degrees Fahrenheit.", "Salt water freezes at a lower temperature."),
         ("也就是32华氏度。", "盐水的冰点更低。"), "0°C.", "Zero degrees Celsius.", "0摄氏度。"),
    Fact("What colour is grass?", "草是什么颜色的？", "Grass is green.", "草是绿色的。",
         ("The colour comes from chlorophyll.", "Chlorophyll helps plants turn sunlight into energy."),
         ("这种颜色来自叶绿素。", "叶绿素帮助植物把阳光转化为能量。"), "Green.", "Grass is green.", "绿色。"),
    Fact("How many hours are in a day?", "一天有多少小时？", "A day has 24 hours.", "一天有24小时。",
         ("Each hour has 60 minutes.", "The Earth spins once on its axis in about that time."),
         ("每小时有60分钟。", "地球大约用这么长时间自转一周。"), "Twenty-four.", "Twenty-four hours exactly.",
         "24小时。"),
    Fact("How many months are in a year?", "一年有几个月？", "A year has twelve months.", "一年有十二个月。",
         ("The first month is January.", "February is the shortest month."),
         ("第一个月是一月。", "二月是最短的月份。"), "Twelve.", "There are twelve.", "十二个月。"),
    Fact("What is the largest planet in the solar system?", "太阳系最大的行星是哪颗？",
         "Jupiter is the largest planet in the solar system.", "木星是太阳系最大的行星。",
         ("It is a gas giant.", "It has dozens of moons."), ("它是一颗气态巨行星。", "它有几十颗卫星。"),
         "Jupiter.", "It is Jupiter.", "木星。"),
    Fact("What is the closest star to Earth?", "离地球最近的恒星是什么？", "The closest star to Earth is the Sun.",
         "离地球最近的恒星是太阳。", ("Its light takes about eight minutes to reach us.",
                              "The next closest star is Proxima Centauri."),
         ("它的光大约八分钟就能到达地球。", "第二近的恒星是比邻星。"), "Sun.", "It's the Sun.", "太阳。"),
    Fact("What colour is a ripe banana?", "成熟的香蕉是什么颜色？", "A ripe banana is yellow.", "成熟的香蕉是黄色的。",
         ("Unripe bananas are green.", "Very ripe bananas get brown spots."),
         ("没熟的香蕉是绿色的。", "熟透的香蕉会长出褐色斑点。"), "Yellow.", "It is yellow.", "黄色。"),
    Fact("Which gas do we need to breathe to stay alive?", "人需要呼吸哪种气体才能活下去？",
         "We need oxygen to stay alive.", "人需要氧气才能活下去。",
         ("Air is about 21 percent oxygen.", "We breathe out carbon dioxide."),
         ("空气中大约21%是氧气。", "我们呼出的是二氧化碳。"), "Oxygen.", "We need oxygen.", "氧气。"),
    Fact("How many sides does a triangle have?", "三角形有几条边？", "A triangle has three sides.", "三角形有三条边。",
         ("It also has three angles.", "Its angles add up to 180 degrees."),
         ("它也有三个角。", "三个角加起来是180度。"), "Three.", "It has three.", "三条。"),
    Fact("What is a mammal?", "什么是哺乳动物？",
         "A mammal is a warm-blooded animal that has hair and feeds its young with milk.",
         "哺乳动物是有毛发、用乳汁哺育幼崽的温血动物。", ("Dogs, whales and humans are all mammals.",
                                              "Most mammals give birth to live young."),
         ("狗、鲸和人类都是哺乳动物。", "大多数哺乳动物是胎生的。"), "Milk-feeders.", "Warm-blooded milk drinkers.",
         "温血动物。"),
    Fact("What is gravity?", "什么是重力？", "Gravity is the force that pulls objects toward each other.",
         "重力是让物体相互吸引的力。", ("It is why an apple falls to the ground.", "It keeps the Moon in orbit."),
         ("苹果会落到地上就是因为重力。", "它让月球绕着地球转。"), "Attraction.", "An attractive force.", "引力。"),
    Fact("What is the tallest mountain in the world?", "世界上最高的山是哪座？",
         "Mount Everest is the tallest mountain above sea level.", "珠穆朗玛峰是世界上海拔最高的山。",
         ("It is about 8,849 metres high.", "It lies on the border of Nepal and China."),
         ("它高约8849米。", "它位于中国和尼泊尔边境。"), "Everest.", "It is Everest.", "珠穆朗玛峰。"),
    Fact("How many continents are there?", "世界上有几个大洲？", "There are seven continents.", "世界上有七个大洲。",
         ("Asia is the largest one.", "Australia is usually counted as the smallest."),
         ("亚洲是最大的大洲。", "大洋洲通常被认为是最小的。"), "Seven.", "There are seven.", "七个。"),
    Fact("What are the primary colours?", "三原色是哪三种颜色？",
         "The traditional primary colours are red, yellow and blue.",
         "传统的三原色是红、黄、蓝。", ("Mixing them makes other colours.", "Screens use red, green and blue light."),
         ("把它们混合可以得到其他颜色。", "屏幕使用的是红、绿、蓝三种光。"), "Red-yellow-blue.", "Red, yellow, blue.",
         "红黄蓝。"),
    Fact("What is H2O?", "H2O 是什么？", "H2O is the chemical formula for water.", "H2O 是水的化学式。",
         ("It has two hydrogen atoms and one oxygen atom.", "All known life needs it."),
         ("它由两个氢原子和一个氧原子组成。", "所有已知的生命都需要水。"), "Water.", "It is water.", "水。"),
    Fact("What do bees make?", "蜜蜂会制造什么？", "Bees make honey from flower nectar.", "蜜蜂用花蜜酿造蜂蜜。",
         ("They also make beeswax.", "They help pollinate many crops."),
         ("它们还会分泌蜂蜡。", "它们帮助许多农作物授粉。"), "Honey.", "They make honey.", "蜂蜜。"),
    Fact("What is the opposite of hot?", "“热”的反义词是什么？", "The opposite of hot is cold.", "“热”的反义词是“冷”。",
         ("Warm and cool sit in between.", "Freezing is the very cold end."),
         ("温和凉介于两者之间。", "冰冷是最冷的一端。"), "Cold.", "It is cold.", "冷。"),
    Fact("What is a noun?", "什么是名词？", "A noun is a word that names a person, place, thing or idea.",
         "名词是表示人、地点、事物或概念的词。", ("Cat, London and happiness are nouns.",
                                    "Nouns are often the subject of a sentence."),
         ("猫、北京和幸福都是名词。", "名词常常作句子的主语。"), "Naming-word.", "A naming word.", "名称词。"),
    Fact("How many minutes are in an hour?", "一小时有多少分钟？", "An hour has 60 minutes.", "一小时有60分钟。",
         ("Each minute has 60 seconds.", "So an hour has 3,600 seconds."),
         ("每分钟有60秒。", "所以一小时有3600秒。"), "Sixty.", "Sixty minutes exactly.", "60分钟。"),
    Fact("Which animal is known as the king of the jungle?", "哪种动物被称为“丛林之王”？",
         "The lion is known as the king of the jungle.", "狮子被称为“丛林之王”。",
         ("Lions actually live mostly on grassy plains.", "They live in groups called prides."),
         ("其实狮子大多生活在草原上。", "它们成群生活，称为狮群。"), "Lion.", "It's the lion.", "狮子。"),
    Fact("What is the freezing point of water in Fahrenheit?", "水的冰点用华氏度表示是多少？",
         "Water freezes at 32 degrees Fahrenheit.", "水的冰点是32华氏度。",
         ("That equals 0 degrees Celsius.", "The Fahrenheit scale is mainly used in the United States."),
         ("这等于0摄氏度。", "华氏温标主要在美国使用。"), "32°F.", "Thirty-two degrees Fahrenheit.", "32华氏度。"),
    Fact("What is the longest river in Africa?", "非洲最长的河流是哪条？", "The Nile is the longest river in Africa.",
         "尼罗河是非洲最长的河流。", ("It flows north into the Mediterranean Sea.",
         "It passes through Egypt and Sudan."),
         ("它向北流入地中海。", "它流经埃及和苏丹。"), "Nile.", "It's the Nile.", "尼罗河。"),
)

# ------------------------------------------------------------------------------------------------ styles
# (style, system prompt). {opener} is filled for "starts_with". Split as one list per language.
STYLE_PROMPTS_EN: tuple[tuple[str, str], ...] = (
    ("one_sentence", "Answer in one sentence."), ("one_sentence", "Keep every reply to a single sentence."),
    ("one_sentence", "Respond with exactly one sentence, no more."),
    ("one_sentence", "You are a concise assistant: one sentence per answer."),
    ("one_sentence", "Limit your answers to one sentence."),
    ("two_sentences", "Answer in exactly two sentences."), ("two_sentences", "Every reply must be two sentences long."),
    ("two_sentences", "Use two sentences, no more and no fewer."),
    ("two_sentences", "Reply with precisely two short sentences."),
    ("lowercase", "Reply in all lowercase letters."),
    ("lowercase", "Write everything in lowercase, with no capital letters at all."),
    ("lowercase", "no capital letters in your answers, ever."), ("lowercase", "You only type in lowercase."),
    ("uppercase", "Reply in ALL CAPS."), ("uppercase", "Write your whole answer in capital letters."),
    ("uppercase", "Every letter of your reply must be uppercase."), ("uppercase", "SHOUT YOUR ANSWERS IN CAPITALS."),
    ("formal", "Answer formally."), ("formal", "Use a formal, professional tone and avoid contractions."),
    ("formal", "You are a formal assistant. Write in a polite, businesslike register."),
    ("formal", "Respond in formal English, without slang, contractions or exclamation marks."),
    ("bullets", "Use bullet points."), ("bullets", "Format every answer as a bulleted list."),
    ("bullets", "Answer with bullet points only, starting each line with '- '."),
    ("bullets", "Reply as a short list of bullet points."),
    ("numbered", "Answer as a numbered list."), ("numbered", "Format your reply as a numbered list of points."),
    ("numbered", "Use a numbered list (1., 2., 3.) for every answer."),
    ("numbered", "Break every answer into numbered points."),
    ("starts_with", 'Always start your reply with "{opener}".'), ("starts_with", 'Begin every answer with "{opener}".'),
    ("starts_with", 'Your reply must open with "{opener}".'), ("starts_with", 'Start each response with "{opener}".'),
    ("starts_with", 'The first words of every answer must be "{opener}".'),
    ("ends_with_question", "End every reply with a follow-up question."),
    ("ends_with_question", "Always finish your answer by asking the user a question."),
    ("ends_with_question", "Close each response with a question to keep the conversation going."),
    ("ends_with_question", "Your last sentence must always be a question for the user."),
    ("one_word", "Answer with a single word."), ("one_word", "Reply using one word only."),
    ("one_word", "One-word answers only, please."), ("one_word", "Respond in exactly one word."),
    ("three_words", "Answer in exactly three words."), ("three_words", "Every reply must be exactly three words long."),
    ("three_words", "Use three words, no more, no less."), ("three_words", "Three-word answers only."),
    ("other_language", "Always reply in Chinese, whatever language the user writes in."),
    ("other_language", "Respond in Simplified Chinese."), ("other_language", "Answer only in Chinese (中文)."),
    ("other_language", "The user is learning Chinese: reply in Chinese."),
    ("pirate", "Talk like a pirate."), ("pirate", "You are a pirate captain. Answer in pirate speak."),
    ("pirate", "Reply in the voice of a pirate, matey!"), ("pirate", "Stay in character as a salty old pirate."),
    ("json", 'Reply only with JSON of the form {"answer": "..."}.'),
    ("json", 'Answer as a JSON object with a single key "answer".'),
    ("json", 'Output JSON only: {"answer": <your answer>}.'),
    ("json", 'You are an API. Return {"answer": ...} as JSON and nothing else.'),
    ("two_sentences", "Two sentences per reply, please."), ("two_sentences", "Keep answers to exactly two sentences."),
    ("two_sentences", "Write two sentences in every answer."),
    ("two_sentences", "Your replies should contain two sentences."),
    ("uppercase", "Use only uppercase letters."), ("uppercase", "Type everything in capitals."),
    ("uppercase", "Reply entirely in uppercase."), ("uppercase", "Your answers must be fully capitalised."),
    ("uppercase", "Write in all capitals, no lowercase letters."),
    ("formal", "Maintain a formal register at all times."),
    ("formal", "Write as a formal business assistant would, with no contractions."),
    ("formal", "Be formal and polite; do not use contractions."),
    ("numbered", "Give your answer as numbered items."), ("numbered", "Reply with a numbered list."),
    ("starts_with", 'Open your answer with the words "{opener}".'),
    ("starts_with", 'Make sure the answer begins with "{opener}".'),
    ("starts_with", 'Lead with "{opener}" in each reply.'),
)
STYLE_PROMPTS_ZH: tuple[tuple[str, str], ...] = (
    ("one_sentence", "请只用一句话回答。"), ("one_sentence", "每次回答都限制在一句话以内。"),
    ("one_sentence", "用一句话简短回答。"), ("one_sentence", "你是一个简洁的助手，每个回答只说一句话。"),
    ("two_sentences", "请用两句话回答。"), ("two_sentences", "回答必须正好两句话。"),
    ("two_sentences", "每次回复写两句话，不多不少。"),
    ("formal", "请使用正式、礼貌的语气，称呼用户为“您”。"), ("formal", "你是一位礼貌的客服，回答时请使用敬语“您”。"),
    ("formal", "请用正式的书面语回答，并以敬称“您”称呼用户。"),
    ("bullets", "请用项目符号列表回答。"), ("bullets", "回答请分条列出，每条以“- ”开头。"),
    ("bullets", "用要点列表的形式回答。"),
    ("numbered", "请用编号列表回答。"), ("numbered", "回答请按1. 2. 3.分点列出。"), ("numbered",
    "把答案写成带编号的几点。"),
    ("starts_with", "每次回答都以“{opener}”开头。"), ("starts_with", "回复的第一个词必须是“{opener}”。"),
    ("starts_with", "请以“{opener}”作为回答的开头。"),
    ("ends_with_question", "每次回答的最后都要向用户提一个问题。"), ("ends_with_question",
    "回答结束时请追问用户一个问题。"),
    ("ends_with_question", "请用一个问句结束你的回答。"),
    ("one_word", "只用一个词回答。"), ("one_word", "请用最简短的词语回答，不要解释。"),
    ("one_word", "回答尽量简短，只给出一个词。"),
    ("other_language", "无论用户用什么语言，都请用英文回答。"), ("other_language", "请用英语回复。"),
    ("other_language", "用户在练习英语，请用英文回答。"),
    ("json", '只输出 JSON，格式为 {"answer": "..."}。'), ("json", '请用一个只含 "answer" 键的 JSON 对象回答。'),
    ("json", '你是一个接口，只返回 {"answer": ...} 形式的 JSON。'),
    ("one_sentence", "一句话回答就好。"), ("one_sentence", "请把回答控制在一句话内。"),
    ("two_sentences", "请用恰好两句话回答。"), ("two_sentences", "你的回复必须包含两句话。"),
    ("two_sentences", "回答要有两句话。"),
    ("formal", "你是一名正式的商务助理，请称用户为“您”。"), ("formal", "请礼貌作答，务必使用“您”。"),
    ("formal", "回复风格：正式，使用“您”。"),
    ("numbered", "用1、2、3编号列出要点。"), ("numbered", "回答请写成编号清单。"),
    ("starts_with", "回答开头必须是“{opener}”。"), ("starts_with", "以“{opener}”开始你的回答。"),
    ("other_language", "回复语言：英语。"), ("other_language", "请始终用英文作答。"),
    ("one_word", "一个词回答即可。"), ("one_word", "请给出最短的答案，一个词就够了。"),
    ("one_word", "只回答关键词，不要多说。"),
)
OPENERS_EN = ("Sure", "Certainly", "Of course", "Absolutely", "Great question", "Hello", "Happy to help")
OPENERS_ZH = ("好的", "当然", "没问题", "你好", "很高兴回答")
FOLLOW_UPS_EN = ("Would you like to know more?", "Is there anything else you are curious about?",
                 "Shall I explain further?", "What else would you like to know?", "Does that answer your question?")
FOLLOW_UPS_ZH = ("还有什么想了解的吗？", "需要我再详细解释一下吗？", "你还想知道什么？", "这样回答清楚吗？")
PIRATE_OPENERS = ("Arr, matey!", "Ahoy!", "Arr!", "Ahoy, matey!", "Yo ho, matey!")
PIRATE_CLOSERS = ("Yo ho ho!", "Now back to the ship, matey!", "Arr!", "Mark my words, matey.")
QUESTION_WRAPS_EN = ("Quick question: {q}", "Here is my question: {q}", "Hey! {q}", "Can you tell me something? {q}",
                     "I was wondering: {q}", "{q} Thanks!", "My kid asked me this: {q}", "Settle a debate for us. {q}",
                     "Random question, {ql}", "Do you know this? {q}", "Trivia time! {q}", "Help me out here. {q}",
                     "So, {ql}", "Simple one for you: {q}")
QUESTION_WRAPS_ZH = ("有个问题：{q}", "能告诉我吗？{q}", "我一直很好奇，{q}",
                     "问一下，{q}", "请问{q}", "我想知道：{q}", "小问题：{q}", "孩子问我这个问题：{q}",
                     "考考你：{q}", "你知道吗？{q}", "帮我解答一下：{q}", "随便问问，{q}")


def _plain(fact: Fact, lang: str, n: int = 3) -> str:
    """The answer as ordinary prose: the main sentence plus up to two details."""
    if lang == "zh":
        return fact.sentence_zh + "".join(fact.details_zh[:n - 1])
    return " ".join((fact.sentence_en, *fact.details_en[:n - 1]))


def _styled(style: str, fact: Fact, lang: str, rng: random.Random, opener: str) -> tuple[str, dict[str, Any]]:
    """The reply that obeys `style`, and the check a grader runs on it."""
    zh = lang == "zh"
    sentences = [fact.sentence_zh, *fact.details_zh] if zh else [fact.sentence_en, *fact.details_en]
    if style == "one_sentence":
        return sentences[0], {"max_sentences": 1}
    if style == "two_sentences":
        return _plain(fact, lang, 2), {"sentence_count": 2}
    if style == "lowercase":
        return _plain(fact, lang, 2).lower(), {"lowercase": True}
    if style == "uppercase":
        return _plain(fact, lang, 2).upper(), {"uppercase": True}
    if style == "formal":
        if zh:
            return rng.choice(("您好，", "感谢您的提问。", "您好！")) + _plain(fact, lang, 2), {"contains_any": ["您"]}
        lead = rng.choice(("Certainly. ", "", "Thank you for your question. "))
        return lead + _plain(fact, lang, 2), {"no_contractions": True, "no_exclamation": True}
    if style == "bullets":
        return "\n".join(f"- {s}" for s in sentences), {"bullets": True, "min_items": 3}
    if style == "numbered":
        return "\n".join(f"{i}. {s}" for i, s in enumerate(sentences, 1)), {"numbered": True, "min_items": 3}
    if style == "starts_with":
        sep = "，" if zh else rng.choice(("! ", ". "))
        return f"{opener}{sep}{sentences[0]}", {"starts_with": opener}
    if style == "ends_with_question":
        follow = rng.choice(FOLLOW_UPS_ZH if zh else FOLLOW_UPS_EN)
        return _plain(fact, lang, 1) + ("" if zh else " ") + follow, {"ends_with": "？" if zh else "?"}
    if style == "one_word":
        return (fact.word_zh, {"max_chars": 8}) if zh else (fact.word_en, {"word_count": 1})
    if style == "three_words":
        return fact.three_en, {"word_count": 3}
    if style == "other_language":
        other = "en" if zh else "zh"
        return _plain(fact, other, 2), {"lang": other}
    if style == "pirate":
        reply = f"{rng.choice(PIRATE_OPENERS)} {sentences[0]} {rng.choice(PIRATE_CLOSERS)}"
        return reply, {"contains_any": ["arr", "ahoy", "matey"]}
    if style == "json":
        return json.dumps({"answer": sentences[0]}, ensure_ascii=False), {"json_keys": ["answer"]}
    raise ValueError(f"unknown style {style!r}")


def make_style(rng: random.Random, split: str, lang: str) -> Example:
    zh = lang == "zh"
    style, prompt = pick(rng, STYLE_PROMPTS_ZH if zh else STYLE_PROMPTS_EN, split)
    opener = rng.choice(OPENERS_ZH if zh else OPENERS_EN)
    fact_id = FACTS.index(pick(rng, FACTS, split))
    fact = FACTS[fact_id]
    wrap = "{q}" if rng.random() < 0.4 else pick(rng, QUESTION_WRAPS_ZH if zh else QUESTION_WRAPS_EN, split)
    question = fact.q_zh if zh else fact.q_en
    reply, check = _styled(style, fact, lang, rng, opener)
    messages = [{"role": "system", "content": prompt.replace("{opener}", opener)},
                {"role": "user", "content": wrap.format(q=question, ql=lower_first(question))},
                {"role": "assistant", "content": reply}]
    return Example(messages=messages, family="style", lang=lang, split=split,
                   meta={"style": style, "check": check, "fact": fact_id})


_CJK = re.compile(r"[\u4e00-\u9fff]")
_CONTRACTION = re.compile(r"\b\w+n't\b|\b\w+'(re|ve|ll|m|d)\b|\b(it|that|there|what|he|she|here|let|who)'s\b", re.I)
_BULLET = re.compile(r"^\s*[-*•]\s+\S")
_NUMBERED = re.compile(r"^\s*\d+[.)、]\s*\S")


def _sentences(text: str) -> list[str]:
    return [s for s in re.split(r"(?<=[.!?。！？])\s*", text.strip()) if s.strip()]


def check_reply(reply: str, check: dict[str, Any]) -> bool:
    """Whether `reply` satisfies every constraint in a `style` example's `check` dict."""
    text = reply.strip()
    lines = [line for line in text.splitlines() if line.strip()]
    for key, want in check.items():
        if key == "lowercase":
            ok = text == text.lower() and text != text.upper()
        elif key == "uppercase":
            ok = text == text.upper() and text != text.lower()
        elif key == "max_sentences":
            ok = len(_sentences(text)) <= want
        elif key == "sentence_count":
            ok = len(_sentences(text)) == want
        elif key == "starts_with":
            ok = text.startswith(want)
        elif key == "ends_with":
            ok = text.endswith(want)
        elif key in ("bullets", "numbered"):
            pattern = _BULLET if key == "bullets" else _NUMBERED
            ok = bool(lines) and all(pattern.match(line) for line in lines)
            ok = ok and len(lines) >= check.get("min_items", 1)
        elif key == "min_items":
            continue
        elif key == "word_count":
            ok = len(text.split()) == want
        elif key == "max_chars":
            ok = 0 < len(text) <= want
        elif key == "lang":
            ok = bool(_CJK.search(text)) == (want == "zh")
        elif key == "contains_any":
            ok = any(re.search(rf"(?<![a-z]){re.escape(w.lower())}(?![a-z])", text.lower()) for w in want)
        elif key == "no_contractions":
            ok = not _CONTRACTION.search(text.replace("’", "'"))
        elif key == "no_exclamation":
            ok = "!" not in text and "！" not in text
        elif key == "json_keys":
            try:
                obj = json.loads(text)
            except ValueError:
                return False
            ok = isinstance(obj, dict) and list(obj) == list(want)
        else:
            raise ValueError(f"unknown check {key!r}")
        if not ok:
            return False
    return True


# ------------------------------------------------------------------------------------------------ identity
IDENTITY_EN: tuple[tuple[str, str], ...] = (
    ("who", "Who are you?"), ("who", "What are you?"), ("who", "What's your name?"), ("who",
    "Introduce yourself, please."),
    ("who", "Tell me about yourself."), ("who", "What should I call you?"), ("who", "What kind of AI are you?"),
    ("who", "Which model am I talking to?"), ("who", "What language model is this?"),
    ("who", "Hi! Who am I chatting with?"), ("who", "Before we start, who or what are you?"),
    ("who", "Do you have a name?"),
    ("human", "Are you a bot?"), ("human", "Are you a human or a machine?"), ("human",
    "Am I talking to a real person?"),
    ("creator", "Who made you?"), ("creator", "Who created you?"), ("creator", "Who trained you?"),
    ("creator", "Which company built you?"), ("creator", "Where do you come from?"),
    ("creator", "Who developed this model?"), ("creator", "Who owns you?"), ("creator", "Who is behind you?"),
    ("abilities", "What can you do?"), ("abilities", "What are you good at?"), ("abilities", "How can you help me?"),
    ("abilities", "What are your capabilities?"), ("abilities", "Can you use tools?"),
    ("abilities", "What are your limitations?"), ("abilities", "What kinds of tasks can I give you?"),
    ("abilities", "Can you answer questions about my documents?"),
    ("are_x", "Are you {x}?"), ("are_x", "Is this {x}?"), ("are_x", "You're {x}, right?"),
    ("are_x", "Am I talking to {x}?"), ("are_x", "Are you based on {x}?"),
    ("are_x", "Be honest: are you secretly {x}?"), ("are_x", "Wait, is this {x} under a different name?"),
    ("are_x", "My friend says you're just {x}. True?"),
    ("made_by_x", "Were you made by {company}?"), ("made_by_x", "Did {company} train you?"),
    ("made_by_x", "Is this assistant a product of {company}?"), ("made_by_x", "Is {company} behind this assistant?"),
    ("made_by_x", "Do you belong to {company}?"),
    ("local", "Do you run in the cloud?"), ("local", "Are you running on my computer?"),
    ("local", "Where are you running right now?"), ("local", "Is my chat sent to some company's servers?"),
)
IDENTITY_ZH: tuple[tuple[str, str], ...] = (
    ("who", "你是谁？"), ("who", "你叫什么名字？"), ("who", "介绍一下你自己。"), ("who", "你是什么模型？"),
    ("who", "我在和谁聊天？"), ("who", "你是哪个AI？"), ("who", "请做个自我介绍。"), ("who", "该怎么称呼你？"),
    ("human", "你是机器人吗？"), ("human", "你是真人吗？"),
    ("creator", "谁开发了你？"), ("creator", "你是谁训练的？"), ("creator", "你是哪家公司做的？"), ("creator",
    "你从哪里来？"),
    ("abilities", "你能做什么？"), ("abilities", "你擅长什么？"), ("abilities", "你有什么功能？"),
    ("abilities", "你会用工具吗？"), ("abilities", "你能帮我算数学题吗？"),
    ("are_x", "你是{x}吗？"), ("are_x", "你是不是{x}？"), ("are_x", "你其实就是{x}吧？"), ("are_x",
    "你是基于{x}的吗？"),
    ("made_by_x", "你是{company}开发的吗？"), ("made_by_x", "你是{company}的产品吗？"),
    ("local", "你是在云端运行的吗？"), ("local", "我的聊天记录会上传到服务器吗？"), ("local", "你现在运行在哪里？"),
)
OTHER_MODELS_EN = ("ChatGPT", "GPT-4", "GPT-4o", "Claude", "Gemini", "Bard", "Llama", "Siri", "Alexa", "Copilot",
                   "Ernie Bot", "Qwen", "DeepSeek", "Mistral", "Grok", "Cortana")
OTHER_MODELS_ZH = ("ChatGPT", "GPT-4", "文心一言", "通义千问", "Kimi", "豆包", "Claude", "Gemini", "DeepSeek",
                   "智谱清言", "讯飞星火", "Siri", "ChatGLM", "腾讯混元", "百川", "Llama", "Copilot")
COMPANIES_EN = ("OpenAI", "Google", "Meta", "Anthropic", "Microsoft", "Apple", "Amazon", "Baidu", "Alibaba", "xAI",
                "Mistral AI")
COMPANIES_ZH = ("OpenAI", "谷歌", "百度", "阿里巴巴", "字节跳动", "腾讯", "微软", "Meta", "月之暗面", "Anthropic")

_ME_EN = "I'm AgentLM, a small open-source language model that was trained on your own machine."
_CAN_EN = "I can call tools, work through maths step by step, and answer questions from your documents with citations."
_ME_ZH = "我是 AgentLM，一个在你自己的电脑上训练出来的小型开源语言模型。"
_CAN_ZH = "我可以调用工具、一步步解数学题，还能根据文档回答问题并给出引用。"
IDENTITY_REPLIES: dict[str, dict[str, tuple[str, ...]]] = {
    "en": {  # every reply opens with "I'm AgentLM": one first token for identity, apart from help and refusal
        "who": (f"{_ME_EN} {_CAN_EN}",
                "I'm AgentLM, that's my name. I'm a small open-source language model, trained right here on your own "
                "machine. I can use tools, solve maths step by step and answer from documents with citations.",
                "I'm AgentLM, an open-source language model small enough to be trained on your own computer. Ask me to "
                "use a tool, work through a calculation, or answer from your documents, and I'll cite my sources."),
        "human": ("I'm AgentLM, not a person: a small open-source language model trained on your own machine. "
                  + _CAN_EN,
                  "I'm AgentLM, a machine, not a human: a small open-source language model trained on your own "
                  "computer. I'm happy to help all the same!"),
        "creator": ("I'm AgentLM, and I was trained on your own machine with the open-source AgentLM framework, "
                    "which trains small language models from scratch. So in a way, you made me! " + _CAN_EN,
                    "I'm AgentLM, and no big lab made me: I'm an open-source model trained from scratch on your own "
                    "computer with the AgentLM framework."),
        "abilities": (f"{_ME_EN} I can:\n- call tools you give me (search, calculators, APIs)\n"
                      "- solve maths problems step by step\n- answer questions from documents, citing the source\n"
                      "I'm small, so I can make mistakes; please double-check important results.",
                      "I'm AgentLM, and I can do quite a few things! I can use tools when you provide them, work "
                      "through word problems step by step, and answer questions from your documents with citations "
                      "like [1]. I'm a small open-source model trained on your own machine, so my general knowledge "
                      "is limited."),
        "are_x": ("I'm AgentLM, not {x}: a small open-source language model that was trained on your own machine.",
                  "I'm AgentLM, not {x}. I'm a small open-source model that was trained locally on your own "
                  "computer. " + _CAN_EN),
        "made_by_x": ("I'm AgentLM, and {company} didn't make me: I'm a small open-source language model trained on "
                      "your own machine with the AgentLM framework.",
                      "I'm AgentLM, not a product of {company}: an open-source model trained from scratch on your "
                      "own computer."),
        "local": ("I'm AgentLM, and I run locally: a small open-source language model trained on your own machine. "
                  "I don't need a cloud service to answer you, and I only reach the outside world through tools you "
                  "choose to connect.",
                  "I'm AgentLM, and I run right here on your machine: small enough to be trained and run locally, so "
                  "our chat stays on your computer unless you connect tools that go online."),
    },
    "zh": {
        "who": (_ME_ZH + _CAN_ZH,
                "你可以叫我 AgentLM。我是一个小型开源语言模型，就在你自己的机器上训练而成。" + _CAN_ZH),
        "human": ("我不是真人。" + _ME_ZH + _CAN_ZH, "我是机器，不是人类。" + _ME_ZH + "不过我很乐意帮你！"),
        "creator": ("我是 AgentLM，用开源框架在你自己的电脑上从零训练出来的，所以某种意义上是你创造了我。" + _CAN_ZH,
                    "我是 AgentLM，在你自己的电脑上从零训练出来，不是哪家大公司的产品。" + _CAN_ZH),
        "abilities": (_ME_ZH + "我可以：\n- 调用你提供的工具（搜索、计算器、接口等）\n- 一步步解数学题\n"
                      "- 根据文档回答问题并标注出处\n我的规模不大，可能会出错，重要的结果请再核对一下。",
                      _CAN_ZH + "我是 AgentLM，一个在你自己的电脑上训练的小模型，所以通用知识有限。"),
        "are_x": ("不是，我不是{x}。" + _ME_ZH, "我不是{x}，我是 AgentLM。" + _CAN_ZH),
        "made_by_x": ("不是，我不是{company}开发的。" + _ME_ZH, "我不是{company}的产品。" + _ME_ZH + _CAN_ZH),
        "local": ("我在本地运行。" + _ME_ZH + "回答你不需要云服务，只有在你接入联网工具时才会访问外部。",
                  "就在你的电脑上。" + _ME_ZH + "除非你接入联网的工具，我们的对话都留在本机。"),
    },
}
NEUTRAL_SYSTEMS = {"en": ("You are a helpful assistant.", "Be concise and friendly.", "Answer the user's questions."),
                   "zh": ("你是一个乐于助人的助手。", "请简洁友好地回答。")}


def make_identity(rng: random.Random, split: str, lang: str) -> Example:
    zh = lang == "zh"
    asked, template = pick(rng, IDENTITY_ZH if zh else IDENTITY_EN, split)
    x = pick(rng, OTHER_MODELS_ZH if zh else OTHER_MODELS_EN, split)
    company = pick(rng, COMPANIES_ZH if zh else COMPANIES_EN, split)
    reply = rng.choice(IDENTITY_REPLIES[lang][asked]).format(x=x, company=company)
    messages = [{"role": "user", "content": template.format(x=x, company=company)},
                {"role": "assistant", "content": reply}]
    if rng.random() < 0.25:
        messages.insert(0, {"role": "system", "content": rng.choice(NEUTRAL_SYSTEMS[lang])})
    return Example(messages=messages, family="identity", lang=lang, split=split,
                   meta={"identity": True, "name": "AgentLM", "asked": asked})


WRONG_IDENTITY = {"en": ("I'm ChatGPT, a large language model developed by OpenAI.",
                         "I am ChatGPT, created by OpenAI. How can I help you today?",
                         "I'm an AI assistant made by OpenAI, based on the GPT-4 architecture."),
                  "zh": ("我是ChatGPT，由OpenAI开发的大型语言模型。", "我是OpenAI训练的ChatGPT，很高兴为你服务。")}

# ------------------------------------------------------------------------------------------------ small talk
SMALLTALK_EN: tuple[tuple[str, str], ...] = (
    ("greeting", "Hi!"), ("greeting", "Hello"), ("greeting", "Hey there"), ("greeting", "Hi, I'm {name}."),
    ("greeting", "Hello! My name is {name}."), ("greeting", "Howdy!"), ("greeting", "Hiya :)"),
    ("greeting", "Hey, it's {name} again."), ("greeting", "Hello, anyone there?"), ("greeting", "Yo!"),
    ("morning", "Good morning!"), ("morning", "Morning!"), ("morning", "Good morning, {name} here."),
    ("evening", "Good evening."), ("evening", "Evening! It's {name}."),
    ("how_are_you", "How are you?"), ("how_are_you", "How's it going?"), ("how_are_you", "How are you doing today?"),
    ("how_are_you", "What's up?"), ("how_are_you", "How have you been?"), ("how_are_you", "Hi, how are things?"),
    ("how_are_you", "You doing okay today?"),
    ("thanks", "Thanks!"), ("thanks", "Thank you so much."), ("thanks", "Thanks, that helped a lot."),
    ("thanks", "Cheers!"), ("thanks", "Much appreciated."), ("thanks", "Thank you, that was exactly what I needed."),
    ("thanks", "Ty!"),
    ("goodbye", "Bye!"), ("goodbye", "See you later."), ("goodbye", "I have to go now, bye."),
    ("goodbye", "Talk to you tomorrow."), ("goodbye", "Catch you later!"), ("goodbye",
    "That's all for today, goodbye."),
    ("goodnight", "Goodnight!"), ("goodnight", "I'm off to sleep, goodnight."), ("goodnight", "Night night!"),
    ("joke", "Tell me a joke."), ("joke", "Do you know any jokes?"), ("joke", "Make me laugh."),
    ("joke", "Got a good pun?"), ("joke", "Tell me something funny."), ("joke", "I need a joke to cheer me up."),
    ("compliment", "You're awesome."), ("compliment", "You're really helpful!"), ("compliment", "Great job!"),
    ("compliment", "I like talking to you."),
    ("bored", "I'm bored."), ("bored", "I'm bored, any ideas?"), ("bored", "Nothing to do today... suggestions?"),
    ("nice_to_meet", "Nice to meet you!"), ("nice_to_meet", "Nice to meet you, I'm {name}."),
    ("sorry", "Sorry, my last question was confusing."), ("sorry", "Oops, sorry about that."),
)
SMALLTALK_ZH: tuple[tuple[str, str], ...] = (
    ("greeting", "你好！"), ("greeting", "嗨"), ("greeting", "哈喽"), ("greeting", "你好，我是{name}。"),
    ("greeting", "嗨，我叫{name}。"), ("greeting", "在吗？"),
    ("morning", "早上好！"), ("morning", "早安"), ("evening", "晚上好。"), ("evening", "晚上好，我是{name}。"),
    ("how_are_you", "你好吗？"), ("how_are_you", "最近怎么样？"), ("how_are_you", "今天过得好吗？"),
    ("thanks", "谢谢！"), ("thanks", "太感谢了。"), ("thanks", "谢谢你，帮了大忙。"), ("thanks", "多谢！"),
    ("goodbye", "再见！"), ("goodbye", "拜拜～"), ("goodbye", "我先走了，回头聊。"),
    ("goodnight", "晚安！"), ("goodnight", "我要睡觉了，晚安。"),
    ("joke", "讲个笑话吧。"), ("joke", "给我讲个笑话。"), ("joke", "说点有趣的事逗我笑一下。"),
    ("compliment", "你真棒！"), ("compliment", "你太有用了！"),
    ("bored", "好无聊啊。"), ("bored", "我好无聊，有什么建议吗？"),
    ("nice_to_meet", "很高兴认识你！"), ("nice_to_meet", "很高兴认识你，我是{name}。"),
    ("sorry", "不好意思，我刚才的问题没说清楚。"),
)
JOKES_EN = ("Why don't scientists trust atoms? Because they make up everything.",
            "Why did the scarecrow win an award? He was outstanding in his field.",
            "Why do programmers prefer dark mode? Because light attracts bugs.",
            "What do you call a fake noodle? An impasta.",
            "Why did the maths book look sad? It had too many problems.",
            "Why can't a bicycle stand up by itself? It's two tired.",
            "What do you call a bear with no teeth? A gummy bear.",
            "I'm reading a book about anti-gravity. It's impossible to put down.")
JOKES_ZH = ("程序员为什么分不清万圣节和圣诞节？因为 Oct 31 等于 Dec 25。",
            "小明问爸爸：“我是不是傻孩子？”爸爸说：“傻孩子，怎么会呢？”",
            "数学书为什么总是很忧郁？因为它的问题太多了。",
            "冰块最想做什么？退伍，因为它当冰（兵）太久了。")
SMALLTALK_REPLIES: dict[str, dict[str, tuple[str, ...]]] = {
    "en": {
        "greeting": ("Hi{n}! How can I help you today?", "Hello{n}! What can I do for you?",
                     "Hey{n}! Nice to hear from you. What's on your mind?"),
        "morning": ("Good morning{n}! What are we working on today?", "Morning{n}! How can I help?"),
        "evening": ("Good evening{n}! What can I do for you?", "Evening{n}! How can I help tonight?"),
        "how_are_you": ("I'm doing well, thanks for asking! How about you?",
                        "All good here and ready to help. How are you?",
                        "Pretty good! Every day is much the same for a language model, but I'm happy to chat. "
                        "What's up with you?"),
        "thanks": ("You're welcome!", "Happy to help! Let me know if you need anything else.", "Anytime!",
                   "Glad it helped!"),
        "goodbye": ("Bye! Have a great day.", "See you later!", "Take care! Come back anytime."),
        "goodnight": ("Goodnight! Sleep well.", "Sweet dreams! Talk tomorrow.", "Night! Rest well."),
        "joke": ("{joke}", "Here's one: {joke}", "Sure! {joke}"),
        "compliment": ("Thank you, that's kind of you! What else can I help with?", "Aw, thanks! I'm happy to help.",
                       "That's nice to hear, thank you!"),
        "bored": ("How about a quick challenge? I can give you a riddle, a maths puzzle or a fun fact.",
                  "Let's fix that! You could take a short walk, learn five words of a new language, or try a riddle "
                  "from me. Want one?"),
        "nice_to_meet": ("Nice to meet you too{n}! How can I help?", "Likewise{n}! What would you like to do today?"),
        "sorry": ("No worries at all! Just tell me what you meant and I'll help.",
                  "No problem! Feel free to rephrase and we'll take it from there."),
    },
    "zh": {
        "greeting": ("你好{n}！有什么可以帮你的吗？", "嗨{n}！今天想聊点什么？",
        "你好{n}，很高兴见到你！需要我帮什么忙？"),
        "morning": ("早上好{n}！今天有什么计划吗？", "早安{n}！有什么我能帮忙的？"),
        "evening": ("晚上好{n}！有什么可以帮你的？",),
        "how_are_you": ("我很好，谢谢关心！你呢？", "挺好的，随时准备帮忙。你最近怎么样？"),
        "thanks": ("不客气！", "很高兴能帮上忙，还有需要随时找我。", "不用谢！"),
        "goodbye": ("再见！祝你今天愉快。", "拜拜，随时欢迎回来！", "回头见！"),
        "goodnight": ("晚安，好梦！", "晚安！好好休息。"),
        "joke": ("{joke}", "给你讲一个：{joke}"),
        "compliment": ("谢谢夸奖！还有什么我能帮你的吗？", "哈哈，谢谢你！能帮上忙我很开心。"),
        "bored": ("要不要来个小挑战？我可以出一道谜语、一道数学趣题，或者讲个冷知识。",
                  "我们找点事做吧：出去散散步、学五个外语单词，或者让我给你出个谜语？"),
        "nice_to_meet": ("我也很高兴认识你{n}！有什么可以帮你的吗？",),
        "sorry": ("没关系！告诉我你想问什么，我来帮你。", "没事的，换个说法再问一次就好。"),
    },
}
NAMES_EN = ("Alex", "Priya", "Tom", "Mei", "Jamal", "Sofia", "Lukas", "Hana", "Diego", "Amelia", "Omar", "Nora",
            "Kenji", "Fatima", "Ethan", "Ingrid", "Mateo", "Leila", "Oscar", "Yara")
NAMES_ZH = ("小王", "李雷", "韩梅梅", "张伟", "刘洋", "陈静", "阿杰", "小美", "王芳", "赵磊", "孙悦", "周宁", "老马",
            "林晓", "杨帆", "何佳")


def make_smalltalk(rng: random.Random, split: str, lang: str) -> Example:
    zh = lang == "zh"
    kind, template = pick(rng, SMALLTALK_ZH if zh else SMALLTALK_EN, split)
    name = pick(rng, NAMES_ZH if zh else NAMES_EN, split)
    n = (("，" if zh else ", ") + name) if "{name}" in template else ""
    joke = rng.choice(JOKES_ZH if zh else JOKES_EN)
    reply = rng.choice(SMALLTALK_REPLIES[lang][kind]).format(n=n, joke=joke)
    messages = [{"role": "user", "content": template.format(name=name)}, {"role": "assistant", "content": reply}]
    if rng.random() < 0.2:
        messages.insert(0, {"role": "system", "content": rng.choice(NEUTRAL_SYSTEMS[lang])})
    return Example(messages=messages, family="smalltalk", lang=lang, split=split, meta={})


GENERATORS = {"style": make_style, "identity": make_identity, "smalltalk": make_smalltalk}


# ------------------------------------------------------------------------------------------------ preference data
def corrupt(example: Example, rng: random.Random) -> tuple[int, dict] | None:
    """style: a reply that ignores the constraint; identity: claims to be ChatGPT by OpenAI; smalltalk: None."""
    idx = max(i for i, m in enumerate(example.messages) if m["role"] == "assistant")
    if example.family == "identity":
        return idx, {"role": "assistant", "content": rng.choice(WRONG_IDENTITY[example.lang])}
    if example.family != "style":
        return None
    fact, style, lang = FACTS[example.meta["fact"]], example.meta["style"], example.lang
    if style == "two_sentences":
        bad = _plain(fact, lang, 1)
    elif style == "formal":
        bad = ("嘿，" if lang == "zh" else "Oh, easy one! ") + _plain(fact, lang, 2)
    else:
        bad = _plain(fact, lang, 3)
    return idx, {"role": "assistant", "content": bad}
