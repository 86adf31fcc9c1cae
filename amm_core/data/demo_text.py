"""Word lists for the synthetic demo corpora: MGID titles and captions, DAIC interview lines.

Every visual/textual "content class" has its own words, with a few words shared between classes
so that text alone does not separate them perfectly.
"""

from __future__ import annotations

# Content classes of the demo posts: MGID's six emotions plus archival photos of the economic
# Depression, which MGID's keyword queries also retrieved under depression TRUE.
CONTENT_CLASSES = ("depressed", "neutral", "happiness", "fear", "surprise", "anger", "archive")
BASE_CLASSES = CONTENT_CLASSES[:6]

PEOPLE = (
    "woman", "man", "teenage girl", "teenage boy", "businessman", "businesswoman", "student",
    "senior woman", "senior man", "young mother", "office worker", "nurse",
)  # fmt: skip
AGES = ("young", "middle aged", "mature", "elderly")

ADJECTIVES: dict[str, tuple[str, ...]] = {
    "depressed": (
        "sad", "depressed", "lonely", "unhappy", "exhausted", "hopeless", "crying", "grieving",
        "heartbroken", "pensive", "worried",
    ),
    "neutral": ("calm", "serious", "thoughtful", "pensive", "focused", "quiet", "ordinary"),
    "happiness": ("happy", "smiling", "joyful", "cheerful", "laughing", "delighted", "carefree"),
    "fear": ("scared", "frightened", "terrified", "anxious", "nervous", "worried", "shocked"),
    "surprise": ("surprised", "amazed", "astonished", "shocked", "stunned", "excited"),
    "anger": ("angry", "furious", "frustrated", "annoyed", "shouting", "enraged", "irritated"),
}  # fmt: skip

SCENES: dict[str, tuple[str, ...]] = {
    "depressed": (
        "sitting alone by a rainy window", "with head in hands on the sofa",
        "lying awake in bed at night", "staring at the floor in a dark room",
        "walking alone in the rain", "sitting on the stairs in the dark",
    ),
    "neutral": (
        "sitting at an office desk", "standing against a grey wall",
        "reading a newspaper on a bench", "waiting at a bus stop", "working on a laptop",
        "looking out of the window",
    ),
    "happiness": (
        "laughing with friends in the park", "enjoying the summer sun on the beach",
        "dancing at a birthday party", "jumping for joy in a meadow",
        "holding a bunch of balloons",
    ),
    "fear": (
        "hiding under a blanket in the dark", "alone in a dark forest at night",
        "looking at a shadow behind the door", "watching a horror movie",
        "trembling during a thunderstorm",
    ),
    "surprise": (
        "opening a gift box", "walking into a surprise party",
        "reading unexpected news on a phone", "with mouth wide open", "watching fireworks",
    ),
    "anger": (
        "shouting at a phone", "slamming a fist on the table", "arguing in a traffic jam",
        "breaking a pencil in frustration", "yelling at a computer",
    ),
}  # fmt: skip

# Caption endings; some carry commas and double quotes on purpose (MGID's Text column does).
CAPTION_TAILS: dict[str, tuple[str, ...]] = {
    "depressed": (
        ", feeling hopeless", ". Depression, loneliness and mental health concept",
        ', thinking "what is the point"', ", unable to sleep", ". Grief and sadness",
        '. She said "I just can\'t anymore"', ".\nMental health concept",
    ),
    "neutral": (
        ", everyday life", ". Lifestyle concept", ", candid shot", ", neutral expression",
        '. A "normal" day at work',
    ),
    "happiness": (
        ", having fun", ". Happiness, joy and summer concept", ', shouting "hooray"',
        ", smiling at the camera", ". Good times",
    ),
    "fear": (
        ", afraid of the dark", ". Fear, anxiety and panic concept", ', whispering "who is there"',
        ", heart racing", ". Nightmare concept",
    ),
    "surprise": (
        ", wow", ". Surprise and amazement concept", ', saying "oh my god"', ", eyes wide open",
        ". Unexpected news",
    ),
    "anger": (
        ", losing temper", ". Anger, rage and stress concept", ', yelling "enough"',
        ", red with fury", ". Bad day at the office",
    ),
}  # fmt: skip

# Vague captions: phrases that several content classes share ("a woman in tears": grief or
# joy?). A caption built on one says little by itself and the picture tells which; MGID's stock
# captions are often this vague. Each phrase lists the classes whose posts may use it.
SHARED_SCENES: dict[str, tuple[str, ...]] = {
    "in tears": ("depressed", "happiness"),
    "alone in the dark at night": ("depressed", "fear"),
    "with hands over the face": ("depressed", "fear", "surprise"),
    "looking out of the window": ("depressed", "neutral"),
    "sitting on the floor": ("depressed", "neutral", "anger"),
    "screaming": ("fear", "anger", "happiness"),
    "with eyes wide open": ("fear", "surprise"),
    "with arms raised": ("happiness", "surprise", "anger"),
    "on the phone": ("neutral", "surprise", "anger"),
    "at home": BASE_CLASSES,
}  # fmt: skip
VAGUE_TAILS = ("", ", lifestyle", ". Emotions concept", ", close-up", ". People and feelings")

ARCHIVE_TITLES = (
    "archival photo of men queuing for bread during the great depression",
    "archival photo of an unemployed worker during the great depression",
    "archival photo of a family by their car during the dust bowl migration",
    "archival photo of a soup kitchen line during the great depression",
)
ARCHIVE_CAPTIONS = (
    "Unemployed men wait in a breadline during the Great Depression, 1930s.",
    'A sign reads "no jobs here", photographed in 1933.',
    "Migrant family on the road, Great Depression era.",
    "Crowd outside a closed bank, 1931, during the economic Depression.",
)

# --- DAIC-WOZ interview lines (lower case, no digits, like the real transcripts) ---

SAD_UTTERANCES = (
    "i have been feeling really down lately", "i can't sleep",
    "i don't really enjoy anything anymore", "most days i just stay in bed",
    "i feel tired all the time", "i've been isolating myself from my friends",
    "i feel like a failure", "it's hard to concentrate on anything",
    "i cry a lot when nobody is around", "i don't see the point sometimes",
    "i lost my job and everything kind of fell apart", "i haven't been eating much",
    "i feel empty", "nothing really makes me happy", "i just feel hopeless about the future",
    "i wake up at night and can't get back to sleep", "i don't want to see anyone",
    "everything feels heavy", "i miss my mom a lot since she passed",
    "i'm not doing so well honestly", "i've been really lonely", "it's been a rough year",
    "um i don't know i just feel numb", "i worry all the time",
    "i get really irritable and then i feel guilty", "i went to see a <thera> therapist",
)  # fmt: skip
NON_SAD_UTTERANCES = (
    "i like hiking with friends", "i'm doing pretty good", "i'm from los angeles originally",
    "i love cooking for my family", "work has been going well", "i sleep pretty well",
    "on weekends i go to the beach", "i'm really proud of my kids",
    "i enjoy reading and playing guitar", "my best friend would say i'm funny",
    "i just got back from a trip", "i'd tell myself to relax more", "i like my job",
    "i go to the gym a few times a week", "things are good right now", "i'm pretty easygoing",
    "i play basketball on sundays", "i started a new class and it's fun",
    "i feel pretty optimistic", "i relax by watching movies",
    "we had a big family dinner last week", "i'm excited about my new apartment",
    "i worked at u_s_c for a while", "my sister and i are really close",
)  # fmt: skip
# Said by everyone: they carry no mood (overlap between the classes).
FILLER_UTTERANCES = (
    "um yeah", "i'm not sure", "i guess so", "it depends", "that's a good question", "xxx",
    "yeah", "no not really", "hmm let me think",
)  # fmt: skip
SAD_TAG, HAPPY_TAG = "<sigh>", "<laughter>"
SYNC_MARKERS = ("<sync>", "<synch>", "[sync]", "<sync.")
ELLIE_SYNC_MARKER = "[syncing]"

# Ellie's lines as (prompt id, text); sessions >= 363 write them as "<id> (<text>)".
ELLIE_OPENING = (
    ("intro", "hi i'm ellie thanks for coming in today"),
    ("how_are_you", "how are you doing today"),
)
ELLIE_QUESTIONS = (
    ("where_originally", "where are you from originally"),
    ("easy_sleep", "how easy is it for you to get a good night's sleep"),
    ("feeling_lately", "how have you been feeling lately"),
    ("last_happy", "when was the last time you felt really happy"),
    ("ideal_weekend", "what's your idea of a perfect weekend"),
    ("diagnosed_d", "have you ever been diagnosed with depression"),
    ("advice_back", "what advice would you give yourself ten or twenty years ago"),
    ("proud_life", "what are you most proud of in your life"),
    ("relax", "what do you do to relax"),
    ("friend_describe", "how would your best friend describe you"),
    ("hobbies", "what are some things you really enjoy doing"),
    ("control_temper", "how are you at controlling your temper"),
    ("family_relationship", "how close are you to your family"),
    ("last_argument", "when was the last time you argued with someone"),
)
ELLIE_BACKCHANNELS = (
    ("yeah3", "yeah"),
    ("mhm", "mhm"),
    ("okay_confirm", "okay"),
    ("tell_me_more", "can you tell me more about that"),
    ("why2", "why"),
)
ELLIE_SYMPATHY = (
    ("that_sounds_hard", "that sounds really hard"),
    ("sorry_hear", "i'm sorry to hear that"),
)
ELLIE_PRAISE = (
    ("thats_good", "that's good"),
    ("sounds_great", "that sounds great"),
)
ELLIE_CLOSING = (
    "thanks_bye",
    "okay i think i have asked everything i need to thanks for sharing your thoughts goodbye",
)
