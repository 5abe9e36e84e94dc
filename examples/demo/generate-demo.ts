/**
 * Generates the bundled demo catalog (examples/demo/catalog.csv + images/) from Debian's
 * `openclipart-png` package (Open Clip Art Library, public domain).
 *
 *   npx tsx examples/demo/generate-demo.ts            # regenerate the catalog in place
 *   npx tsx examples/demo/generate-demo.ts --sheets /tmp/sheets   # also write review contact sheets
 *   npx tsx examples/demo/generate-demo.ts --out /tmp/demo --verbose  # elsewhere, logging every skip
 *
 * Deterministic: source files are listed in sorted order and every random choice comes from a
 * PRNG seeded with a hash of the source file path, so re-running yields byte-identical CSVs and
 * images (given the same sharp/libvips version), and curating one category does not reshuffle
 * the prices or brands of the others.
 */
import { existsSync } from 'node:fs';
import { mkdir, readdir, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import sharp, { type Sharp } from 'sharp';
import { pick, seededRandom } from '../../src/eval/random.js';

const SOURCE_ROOT = '/usr/share/openclipart/png';
const HERE = path.dirname(fileURLToPath(import.meta.url));
const CANVAS = 400;
const MARGIN = 36;
const JPEG_QUALITY = 80;
/** Sources smaller than this would be upscaled into mush; a shop would not publish them. */
const MIN_SOURCE_SIDE = 120;
/**
 * Two sources whose 16×16 gray thumbnails differ by less than this fraction of their ink
 * (darkness) count as the same picture. Relative, so faint line drawings are not all "equal".
 */
const NEAR_DUPLICATE_RATIO = 0.3;
/** Fraction of non-white pixels below which a source counts as (nearly) blank. */
const MIN_INK = 0.01;
const SECOND_IMAGE_EVERY = 10;

interface CategoryRule {
  /** Shop category as it appears in the CSV. */
  name: string;
  folders: string[];
  include: RegExp;
  exclude?: RegExp;
  /** Price range in EUR; the last digits are shop-like (.99/.49/.00). */
  price: [number, number];
  max: number;
  /** Second attribute column for this category: a name and the values to draw from. */
  extra: { column: 'material' | 'style' | 'size'; values: string[] };
}

// The order matters: a file that matches two categories (a tennis shoe lives in clothing and
// sports) goes to the first one that lists it.
const CATEGORIES: CategoryRule[] = [
  {
    name: 'Hats & Caps',
    folders: ['people/clothing/hats', 'people/clothing', 'recreation/party', 'recreation/sports'],
    include: /hat|cap_|fedora|sombrero|turban|crown/,
    exclude: /magic_hat|propeller|jacob_leisler|_bw|toque/,
    price: [9, 59],
    max: 24,
    extra: { column: 'material', values: ['cotton', 'wool', 'felt', 'straw', 'polyester'] },
  },
  {
    name: 'Clothing & Shoes',
    folders: ['people/clothing', 'people/clothing/pantyhose', 'unsorted', 'recreation'],
    include: /shirt|camicia|shorts|tie_|mitten|boot|shoe|sandal|thongs|pattino|pantyhose|calzettoni|vestito|rollerblades|foulard/,
    exclude: /shoe_print|feet_in|silouette|Attaccapanni|pantyhose_rollandin_fra\d/,
    price: [12, 129],
    max: 22,
    extra: { column: 'material', values: ['cotton', 'leather', 'linen', 'wool', 'denim', 'synthetic'] },
  },
  {
    name: 'Bags & Accessories',
    folders: ['people/clothing', 'people/clothing/jewelry', 'containers', 'unsorted', 'transportation', 'tools', 'geography', 'signs_and_symbols/clocks'],
    include: /sunglasses|earring|gold_chain|wedding_rings_jarno_vas1|straw_tote|borsetta|valigie|borsa|suitcase|umbrella|keyring|zaino|alarm_clock|cesto/,
    exclude: /_bw/,
    price: [8, 149],
    max: 22,
    extra: { column: 'material', values: ['leather', 'canvas', 'metal', 'gold-plated', 'recycled plastic'] },
  },
  {
    name: 'Home & Furniture',
    folders: ['buildings/furniture', 'office', 'tools', 'unsorted', 'signs_and_symbols/clocks', 'computer', 'food/beverages', 'plants/flowers'],
    include: /sedia|chair|table|tavolo_|couch|poltrona|mobile_arch|barrel|lamp|candela|clock|orologio|sand_?glass|clessidra|picture_frame|flower-pot|flowerandpot/,
    exclude: /television|flower-pot_01|alarm_clock|lampada_da_cantiere|clock0|clock1|breuer_0[2-4]/,
    price: [15, 499],
    max: 24,
    extra: { column: 'style', values: ['modern', 'rustic', 'classic', 'scandinavian', 'industrial'] },
  },
  {
    name: 'Kitchen & Dining',
    folders: ['food/beverages', 'food/beverages/alcohol', 'food', 'food/meats_and_eggs', 'food/dairy', 'tools', 'unsorted', 'office'],
    include: /mug|cup|tazza|teapot|teiera|teacup|glass|bowl|plate|pan|scolapasta|forchettoni|meatgrinder|macchina_caffe|frullatore|bottle|biberon|fondue|kubek|cuppa|coffe|scodella/,
    exclude: /_bw|Attaccapanni|magnif|sand_glass|juice_glass|punch|ice_water|lemonade|pancake|pansement|panel|pannocchia|bottled_drink|sandglass/,
    price: [4, 89],
    max: 26,
    extra: { column: 'material', values: ['ceramic', 'glass', 'stainless steel', 'porcelain', 'cast iron'] },
  },
  {
    name: 'Tools & DIY',
    folders: ['tools', 'unsorted', 'computer/hardware'],
    include: /hammer|saw|drill|wrench|screwdriver|paint|brush|roller|spaclu|trowel|shovel|rake|cultivator|hedgeshear|lopper|axe|mallot|nail_puller|chiave|livella|viti|utensil|tools_nicu|^tool\.png|bucket|broom|secchio|ferro_da_stiro|ironing|vacuum|vavuum|padlock|lock|anvil|motosega|metro_avvolgibile|guanti|scala_doppia|carretta|serratura|sega|asse_da_stiro|lampada_da_cantiere|insecticide|airbrush/,
    exclude: /clock|_bw|toothbrush|bucket_michael/,
    price: [6, 249],
    max: 28,
    extra: { column: 'material', values: ['steel', 'aluminium', 'wood', 'fibreglass', 'chrome vanadium'] },
  },
  {
    name: 'Toys & Games',
    folders: ['recreation/toys', 'tools/toys', 'recreation/games', 'recreation/games/chess', 'recreation/games/dice', 'recreation/party', 'recreation', 'computer', 'computer/hardware'],
    include: /blocks|ball|boomerang|domo_kun|gameboy|train|robot|duck|rubik|teddy|paper_plane|wagon|chess|dice|balloon|baloon|palloncini|joystick|joypad|plush|sand_castle|pacco_regalo|scrathing/,
    exclude: /_bw|six-sided|baloon|balloon-(black|white|green|orange|purple|yellow)|8_ball|9_ball|8ball|9ball|form_jarno|soccer|baseball|basebalm|chess_set_symbols|chess_game|yet_another_chess|heart-ballons|balloons/,
    price: [5, 79],
    max: 26,
    extra: { column: 'size', values: ['small', 'medium', 'large'] },
  },
  {
    name: 'Sports & Outdoors',
    folders: ['recreation/sports', 'recreation/toys', 'recreation', 'unsorted', 'tools', 'transportation', 'transportation/vehicles', 'geography'],
    include: /ball|racket|racquet|bat_|glove|helmet|dartboard|surfboard|target_with|binocul|binocolo|cronometro|nunchaku|scuba|sledge|sacco_a_pelo|tenda|telescope|compass|bussola|bicycle|bicicletta|bike|vtt|spyglass|table_tennis/,
    exclude: /_bw|buses|bike_tobias|bicicletta|bicycle_philippe|surfboard_jurgen|a_boy|flaming|golf_flag|pitch|beckham|sportcar|volleball_net|basebalm/,
    price: [9, 399],
    max: 26,
    extra: { column: 'material', values: ['aluminium', 'carbon', 'rubber', 'nylon', 'leather'] },
  },
  {
    name: 'Electronics',
    folders: ['computer/hardware', 'computer', 'electronics', 'office/telephone', 'recreation/music', 'recreation', 'unsorted', 'buildings/furniture', 'tools'],
    include: /laptop|notebook|keyboard|mouse|monitor|lcd|screen|printer|stampante|camera|camcorder|telecamera|cinepresa|macchina_fotografica|nikon|coolpix|webcam|phone|mobile|handphone|telefono|telephone|headphones|boombox|gramophone|jukebox|tv|televis|proiettore|speaker|pda|gps|usb|joystick|computer|desktop|tower|modem|router|sony_clie|cassette|cd_drive|video_lcd|scanner|harddisk|disco_rigido/,
    exclude: /_bw|saxophone|router_cisco|mouse_pointer|zazou|etiquette|network|Keyboardlayout|keyboard_key|pointer|numero_verde|lutte|sauvetage|email|green_computer|gis-computer|tv_01|flat_screen|filmphoto|workstation/,
    price: [15, 899],
    max: 28,
    extra: { column: 'style', values: ['compact', 'professional', 'retro', 'wireless', 'classic'] },
  },
  {
    name: 'Musical Instruments',
    folders: ['recreation/music', 'geography'],
    include: /guitar|violin|cello|trumpet|tpt|drum|sax|flute|oboe|horn|harp|xylophone|maracas|piano_geraint|trombone|dulcimer|derbouk|djamb|microphone/,
    exclude: /_bw/,
    price: [29, 899],
    max: 24,
    extra: { column: 'material', values: ['maple', 'spruce', 'brass', 'rosewood', 'birch'] },
  },
  {
    name: 'Plants & Garden',
    folders: ['plants/flowers', 'plants', 'plants/trees', 'unsorted', 'food/beverages', 'decorations'],
    include: /flower|fiore|cactus|cacuts|bamboo|daffodil|daisy|tulip|rose|rosa|geranium|magnolia|sakura|bouquet|mazzo|lotas|bloom|palmtree|sun_flower|bonsai|tree|albero|olivier|arbre|pettle|mirjam/,
    exclude: /_bw|cartoon_tree|tree_branches|fall_scene|christmas|xmas|bw_jean|van_gogh|funnyflower/,
    price: [6, 79],
    max: 22,
    extra: { column: 'size', values: ['small', 'medium', 'large'] },
  },
  {
    name: 'Office & Stationery',
    folders: ['office', 'education', 'education/books', 'unsorted', 'recreation/art'],
    include: /pen_|pencil|crayon|scissors|calcul|calcolatrice|stappler|pinzatrice|clips|paperclip|thumbtack|puntine|envelop|folder|clipboard|eraser|scotch|stamper|blocco_notes|palette|tavolozza|colori|paint\.png|brush\.png|book|libro|diary|bible|bibliografia|ksiega|appunti|megaphone|cestino/,
    exclude: /_bw|help-books|cartoon_squirrel|fancy_folder_02|folder_icon|bluepane|box_with_folders/,
    price: [2, 59],
    max: 28,
    extra: { column: 'material', values: ['paper', 'plastic', 'metal', 'recycled paper', 'wood'] },
  },
  {
    name: 'Grocery & Bakery',
    folders: ['food/fruit', 'food/vegetables', 'food/breads_and_carbs', 'food/dairy', 'food/desserts', 'food'],
    include: /apple|banana|cherr|grape|pear|lemon|lime|orange|plum|prugna|strawberr|melon|pineapple|peach|kiwi|aglio|pepper|corn|onion|paprika|ravanello|salad|bread|croissant|muffin|pretzel|cheese|butter|cake|pie_|candy|lollipop|cookie|pumpkin|zucca|pomodori|honey|torta|tomato|carrot|what_s_up_doc|peperoncino|pannocchia/,
    exclude: /_bw|tile_|banana_mateya|bitten|worm|core|wedge|slice|half|juice|candied|onion_rings|eris|kallisti|bw_jean|cone|fruitcollection|turkey|platter/,
    price: [1, 19],
    max: 26,
    extra: { column: 'style', values: ['organic', 'classic', 'family pack', 'artisan', 'seasonal'] },
  },
];

const BRANDS = [
  'Northwind', 'Aurora', 'Bramble & Co', 'Halcyon', 'Lumen Works', 'Ferncliff', 'Kestrel',
  'Oakmoor', 'Tidewater', 'Juniper Lane', 'Copperfox', 'Elmsworth',
];

/**
 * Openclipart file names end in the artist's (often truncated) name; everything from the first
 * of these tokens on is dropped from the product title.
 */
const AUTHOR_TOKENS = new Set([
  'architetto', 'architett', 'architet', 'archite', 'archit', 'archi', 'arch', 'ar', 'arc', 'architetto_fra',
  'france', 'frances', 'francesco', 'franc', 'fran', 'fra', 'fr', 'f', 'frolland', 'rollandin', 'rolland', 'roll',
  'jarno', 'vasama', 'vasamaa', 'vasam', 'vasa', 'vas', 'vasamaa1', 'vasamaa2', 'vas1',
  'nicu', 'bucu', 'buculei', 'bucule', 'bucul', 'buc', 'nicolas', 'nicola', 'nico', 'nico1', 'nico2', 'nicola1', 'nicola2',
  'ganson', 'ganso', 'ganson1', 'benji', 'park', 'park1', 'park2', 'linda', 'kim', 'gerald', 'g', 'gera', 'geral',
  'peterm', 'peterm1', 'jonathan', 'dietrich', 'dietric', 'dietri', 'diet', 'd', 'juliane', 'krug', 'nathan', 'natha', 'nath', 'eady',
  'mo', 'aj', 'a', 'j', 'ashton', 'ashto', 'as', 'sergio', 'luiz', 'araujo', 'arauj', 'ara', 'ar', 'jean', 'victor', 'jean-victor',
  'jean-vic', 'jean-victo', 'jean-vitor', 'balin', 'bali', 'b', 'mateya', 'mauro', 'olivo', 'anton', 'yu', 'fr', 'costea', 'bogdan',
  'bogda', 'bogd', 'michael', 'moore', 'moor', 'tunniclif', 'jaime', 'sanchez1', 'jaim', 'shandy', 'brown', 'br', 'stuart',
  'petri', 'lummema', 'lumme', 'lummemaa', 'lumm', 'petr', 'frouke', 'jon', 'campbell', 'jordan', 'wiens', 'afief', 'halumi',
  'alejandro', 'tejad', 'teja', 'gino', 'riv', 'rivera', 'olivier', 'tom', 'kra', 'joel', 'mo', 'montes', 'kurt', 'nordstro',
  'kevin', 'cow', 'jeff', 'simps', 'jakob', 'chaosinfa', 'chao', 'www', 'jonasste', 'mariusz', 'k', 'lion', 'kimbro',
  'anthony', 'liekens', 'guillaume', 'boitel', 'orlando', 'kara', 'davek', 'durex', 'r', 's', 'brice', 'b', 'boye', 'boyer',
  'vladimir', 'hern', 'hernan', 'ruud', 'steltenpo', 'jurgen', 'omar', 'abo-na', 'o', 'virgin', 'angelo', 'gelmi', 'gel',
  'andrea', 'bianc', 'tanguy', 'jac', 'davide', 'pesent', 'philippe', 'colin', 'coli', 'terry', 'dennis', 'bo', 'enrique',
  'meza', 'c', 'geraint', 'luff', 'a.j.', 'toh', 'yen', 'cheng', 'chen', 'israel', 'einar', 'mimooh', 'yves', 'joseph', 'joeseph',
  'teed', 'william', 'page', 'santiago', 'diaz', 'ali', 'hussn', 'alexander', 'christophe', 'czara1', 'fudriot', 'omic.ch',
  'omic', 'ch', 'juliane', 'seth', 'yastrov', 'uliphant', 'darkon', 'sek', 'erich', 'jonadab', 'james', 'birkett', 'dave',
  'pena', 'benji', 'jure', 'kodzoman', 'daniel', 'ste', 'steele', 'susan', 'janet', 'theob', 'tess', 'brady', 'raphael', 'seban',
  'patricia', 'yogesh', 'kanitkar', 'mirjam', 'meijer', 'mei', 'danny', 'allen', 'kessels', 'gmv', 'chris', 'kempson', 'kemps',
  'mike', 'powers', 'breuer', 'mitchell', 'joh', 'frederic', 'mose', 'moser', 'vermin', 'christian', 'h.', 'k_yager', 'yager',
  'dan', 'gerhard', 'gerh', 'martin', 'schmidt-li', 'leif', 'lodahl', 'lod', 'andremarcel.', 'etienne', 'bersac', 'valessio',
  'soares', 'de', 'gabrielle', 'now', 'nowicki', 'erik', 'postma', 'yemu', 'chaspo', 'joerg', 'rosenbauer', 'the', 'structor',
  'structorr', 'fco.', 'andrad', 'andrade', 'stefan', 'graubner', 'ruairi', 'hann', 'denco', 'glenn', 'rolla', 'hash',
  'magnus', 'mazdac', 'anita', 'risto', 'pekkal', 'borja', 'bravo', 'alberto', 'piccin', 'bra', 'sprint', 'zinf', 'ian',
  'helen', 'tunnicl', 'cheng_01', 'amos', 'rikva', 'aubanel', 'monnie', 'aubanel_monnie', 'galt', 'gal', 'lumen', 'design',
  'st', 'nae', 'juliane_krug', 'stylized', 'shi', 'andy', 'fitzsimon', 'nurbldoff', 'utrescu', 'jasper', 'v', 'matthew', 'gates',
  'tobias', 'jakobs', 'steffen', 'gluc', 'mark', 'near', 'hans', 'ingo', 'teudimu', 'teudimundo', 'cedric', 'sauvetage',
  'ganson.png', 'jarno_vasamaa', 'rick', 'marcelo', 'caiafa', 'igor', 'lio', 'bram', 'gron', 'andre', 'kilfige', 'kilian',
]);

/** Italian (and a few other) words in source names, so titles read as English shop items. */
const TRANSLATE: Record<string, string> = {
  sedia: 'Chair', legno: 'Wooden', tavolo: 'Table', poltrona: 'Armchair', ufficio: 'Office', mobile: 'Mobile',
  camicia: 'Shirt', seta: 'Silk', pattino: 'Roller Skate', borsa: 'Bag', estiva: 'Summer', valigie: 'Suitcase',
  bags: 'Set', borsetta: 'Handbag', zaino: 'Backpack', montagna: 'Mountain', cesto: 'Basket', calzettoni: 'Knee Socks',
  vestito: 'Dress', rosa: 'Pink', signorinafoulard: 'Silk Scarf', tazza: 'Cup', caffe: 'Coffee', teiera: 'Teapot',
  scolapasta: 'Colander', pentola: 'Pot', forchettoni: 'Grill Forks', grigliat: 'Set', macchina: 'Machine',
  mix: 'Mixer', cucina: 'Kitchen', frullatore: 'Blender', biberon: 'Baby Bottle', scodella: 'Bowl', gatto: 'Cat',
  ferro: 'Iron', stiro: '', chiave: 'Spanner', livella: 'Spirit Level', viti: 'Screws', utensile: 'Tool', sega: 'Saw',
  utensili: 'Tools', caccia: 'Screwdriver', cacci: 'Screwdriver', secchio: 'Bucket', spugna: 'Sponge', motosega: 'Chainsaw',
  metro: 'Tape Measure', avvolgibile: '', guanti: 'Gloves', pinze: 'Pliers', scala: 'Ladder', doppia: 'Step',
  carretta: 'Wheelbarrow', cantiere: '', serratura: 'Door Lock', serratura01: 'Door Lock', serratura02: 'Door Lock',
  lampada: 'Lamp', aladino: 'Oil', candela: 'Candle', orologio: 'Clock', parete: 'Wall', clessidra: 'Hourglass',
  binocolo: 'Binoculars', bn: '', bussola: 'Compass', cronometro: 'Stopwatch', sacco: 'Sleeping Bag', pelo: '',
  campeg: '', campeggio: '', tenda: 'Tent', bicicletta: 'Bicycle', cycle: '', telecamera: 'Video Camera',
  cinepresa: 'Film Camera', fotografica: 'Camera', casco: 'Headset', microfono: 'Microphone', stampante: 'Printer',
  proiettore: 'Projector', televisore: 'TV', telecomando: 'Remote', unita: 'Drive', disco: 'Disk', rigido: 'Hard',
  schermo: 'Screen', telefono: 'Phone', fiore: 'Flower', mazzo: 'Bouquet', fiori: 'Flowers', albero: 'Tree',
  arbre: 'Tree', modern: 'Modern', olivier: 'Olive Tree', calcolatrice: 'Calculator', pinzatrice: 'Stapler',
  grigia: 'Grey', puntine: 'Push Pins', clips: 'Paper Clips', blocco: 'Notepad', notes: '', tavolozza: 'Palette',
  colori: 'Colours', libro: 'Book', ricette: 'Recipes', cuc: '', bibliografia: 'Reference Book', stara: 'Old',
  ksiega: 'Book', diary: 'Diary', appunti: 'Notes', cestino: 'Wastebasket', vuoto: 'Empty',
  scotch: 'Tape', aglio: 'Garlic', ravanello: 'Radish', paprika: 'Paprika', peperoncino: 'Chili', pannocchia: 'Corn Cob',
  gran: '', turc: '', prugna: 'Plum', torta: 'Tart', zucca: 'Pumpkin', pomodori: 'Tomatoes', kubek: 'Mug',
  herbaty: '', zielony: 'Green', cuppa: 'Cuppa', lattine: 'Cans', birra: 'Beer', padella: 'Frying Pan', in: '',
  di: '', da: '', e: '', con: '', per: '', del: '', della: '', lente: 'Lens', meno: '', normale: '', ombrelloni: 'Parasol',
  anelli: 'Rings', envelop: 'Envelope', palmtree: 'Palm Tree', pieno: '',  chesspieces: 'Chess', colour: '', simple: '', whole: '', one: '', cappello: 'Hat', thongs: 'Flip Flops', tie: 'Tie', clothing: '', hat: 'Hat', pimp: 'Wide Brim',
  tophat: 'Top Hat', wild: 'Wild', what: 'Carrot', s: '', up: '', doc: '', cacuts: 'Cactus', lotas: 'Lotus',
  pettle: 'Petal', daff: 'Daffodil', mirjam: 'Flower', dream: 'Dream', vtt: 'Mountain Bike', spaclu: 'Spatula',
  mallot: 'Mallet', bypasslopper: 'Bypass Lopper', hedgeshear: 'Hedge Shears', leafrake: 'Leaf Rake',
  roundpointshovel: 'Round Point Shovel', vavuum: 'Vacuum', uprigh: 'Upright', stappler: 'Stapler', teddybear: 'Teddy Bear',
  rubik: 'Puzzle Cube', domo: 'Domo', kun: 'Plush', basebalm: 'Baseball', blowling: 'Bowling', volleball: 'Volleyball',
  derbouk: 'Darbuka', djambf: 'Djembe', africandrum: 'African Drum', tpt: 'Trumpet', cubf: 'Cornet', harp1: 'Harp',
  harp2: 'Harp', harp3: 'Harp', guitar1: 'Guitar', guitar2: 'Guitar', mobile1: 'Mobile', baloon1: 'Balloon',
  baloon2: 'Balloon', palloncini: 'Balloons', pacco: 'Gift Box', regalo: '', scrathing: 'Scratching', applf: 'Apple',
  lemon1: 'Lemon', muffin1: 'Muffin', muffin2: 'Muffin', cake1: 'Cake', cartes: 'Playing Cards', scuba: 'Scuba',
  nitrox: 'Nitrox', sledge: 'Sledge', zinf: 'Media Player', clie: 'Clie PDA', sony: 'Handheld', coolpix: 'Compact Camera',
  nikon: 'Digital', pc: 'PC', lcd: 'LCD', tv: 'TV', gps: 'GPS', usb: 'USB', cd: 'CD', vhs: 'VHS', pda: 'PDA', ip: 'IP',
  hub: 'Hub', '8port': '8-Port', rpm: 'RPM', abc: 'ABC', '3d': '3D', pfd: 'PFD', t: 'T',
};

/** Rough names for colours; the first one whose test passes wins. */
function colourName(r: number, g: number, b: number): string {
  const max = Math.max(r, g, b);
  const min = Math.min(r, g, b);
  const l = (max + min) / 2 / 255;
  const s = max === min ? 0 : (max - min) / (255 - Math.abs(max + min - 255));
  if (l < 0.16) return 'black';
  if (s < 0.15) return l > 0.85 ? 'white' : 'gray';
  let h = 0;
  const d = max - min;
  if (max === r) h = ((g - b) / d) % 6;
  else if (max === g) h = (b - r) / d + 2;
  else h = (r - g) / d + 4;
  h = (h * 60 + 360) % 360;
  if (h < 15 || h >= 340) return l > 0.7 ? 'pink' : l < 0.35 && s < 0.6 ? 'brown' : 'red';
  if (h < 45) return l < 0.45 || s < 0.45 ? 'brown' : l > 0.75 ? 'beige' : 'orange';
  if (h < 70) return l < 0.35 ? 'olive' : s < 0.35 ? 'beige' : 'yellow';
  if (h < 160) return 'green';
  if (h < 200) return 'teal';
  if (h < 255) return 'blue';
  if (h < 290) return 'purple';
  return 'pink';
}

/** FNV-1a, so every product's random choices depend only on its own source path. */
function hash32(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}



function titleCase(word: string): string {
  return word.length === 0 ? word : word[0]!.toUpperCase() + word.slice(1);
}

/** Names the cleaner cannot get right from the file name alone (keyed by source file name). */
const TITLE_OVERRIDES: Record<string, string> = {
  'rosa1.png': 'Rose',
  'rosa2.png': 'Rose',
  'vestito_rosa.png': 'Pink Dress',
  'mobile.png': 'Mobile Phone',
  'mobile_architetto_france_01.png': 'Wooden Cabinet',
  'computer-aj_aj_ashton_01.png': 'Computer',
  'gnome-dev-harddisk.png': 'External Hard Disk',
  'kubek_herbaty_-_mug_of__01.png': 'Tea Mug',
  'zielony_kubek_herbaty_-_01.png': 'Green Tea Mug',
  'coffe_tea_01.png': 'Coffee & Tea Cups',
  'cuppa_schwoo_01.png': 'Cup of Tea',
  'frying_pan_padella_in_i_03.png': 'Frying Pan',
  'scolapasta_e_pentola_arc_01.png': 'Colander & Pot',
  'mix_cucina_frullatore_ar_01.png': 'Kitchen Blender',
  'macchina_caffe_architett_01.png': 'Espresso Machine',
  'teiera_tazza_architetto__01.png': 'Teapot & Cup',
  'secchio_e_spugna_archite_01.png': 'Bucket & Sponge',
  'lampada_di_aladino_alad_01.png': 'Oil Lamp',
  'sedia_e_ombrelloni_archi_01.png': 'Beach Chair & Parasol',
  'camicia_in_seta_architet_01.png': 'Silk Shirt',
  'borsa_estiva_architetto__01.png': 'Summer Bag',
  'valigie_bags_architetto__01.png': 'Suitcase Set',
  'zaino_per_montagna.png': 'Mountain Backpack',
  'little_tan_suitcase_jona_.png': 'Little Tan Suitcase',
  'gold_chain_of_round_lin_01.png': 'Gold Chain, Round Links',
  'gold_chain_curved_as_a__01.png': 'Curved Gold Chain',
  'bejewelled_crown_with_t_01.png': 'Bejewelled Crown',
  'la_prugna_architetto_fra_01.png': 'Plum',
  'what_s_up_doc_01.png': 'Carrot',
  'signorinafoulard.png': 'Silk Scarf',
  'blue_stamper_orbu_.png': 'Blue Stamper',
  'scissors_forbici_franc_.png': 'Scissors',
  'poltrona_ufficio_archite_01.png': 'Office Armchair',
  'sedia_in_legno_architett_01.png': 'Wooden Chair',
  'tavolo_in_legno_architet_01.png': 'Wooden Table',
  'tazza_di_caffe_architett_01.png': 'Coffee Cup',
  'pantyhose_collant_rolla_.png': 'Pantyhose',
  'melon_goneri_le_bouder_01.png': 'Melon',
  'hat_01.png': 'Party Hat',
  'lamp_sergio_luiz_araujo__01.png': 'Light Bulb',
  'coffee.png': 'Coffee Mug',
  'orologio_da_parete_archi_01.png': 'Wall Clock',
  'chiave_architetto_france_01.png': 'Door Key',
  'paint_roller_banner_gera_01.png': 'Wide Paint Roller',
  'paint_roller_border_gera_01.png': 'Edging Paint Roller',
  'paint_roller_wall_gerald_01.png': 'Paint Roller Kit',
  'tools_nicu_buculei_01.png': 'Spanner & Screwdriver Set',
  'guanti__e_pinze.png': 'Work Gloves & Pliers',
  '8ball_nicu_buculei_01.png': 'Billiard 8 Ball',
  'lcd.png': 'LCD Screen',
  'crt_monitor_01.png': 'CRT Monitor',
  'televisore_telecomando_a_01.png': 'Television with Remote',
  'domo_kun_nicu_buculei_01.png': 'Monster Plush',
  'gameboy_pocket_durex_r.png': 'Handheld Game Console',
  'joystick_beige_gray_petr_01.png': 'Beige Joystick',
  'joystick_atari_style_da_r.png': 'Retro Joystick',
  'unita_disco_rigido_archi_01.png': 'External Hard Drive',
  'mobile_phone_01.png': 'Mobile Phone',
  'table_tennis_omar_abo-na_01.png': 'Table Tennis Bats',
  'hat_-_clothing_nicu_bucu_01.png': 'Cowboy Hat',
  'hat_-_clothing_nicu_bucu_02.png': 'Baseball Cap',
  'hat_-_clothing_nicu_bucu_03.png': 'Tall Felt Hat',
  'hat_-_clothing_nicu_bucu_04.png': 'Fez',
  'hat_-_clothing_nicu_bucu_05.png': 'Bowler Hat',
  'purple_hat_nicu_buculei_01.png': 'Wide Brim Hat',
  'tie_-_clothing_nicu_bucu_01.png': 'Bow Tie',
  'hat_02.png': 'Party Hat',
  'scodella_gatto_architett_01.png': 'Pet Bowl',
  'lampada_da_cantiere.png': 'Work Lamp',
  'scala_doppia.png': 'Step Ladder',
  'asse_da_stiro.png': 'Ironing Board',
  'paperback_book_black_gal_.png': 'Paperback Book',
  'stara_ksiega_-_old_book_01.png': 'Old Leather Book',
  'pinzatrice_grigia.png': 'Staple Gun',
  'olivier_one_jean-victor__01.png': 'Olive Branch',
  'pie_apple.png': 'Apple Pie',
  'pie_cherry.png': 'Cherry Pie',
  'pie_pumpkin.png': 'Pumpkin Pie',
  'arbre_modern_jean-victor_01.png': 'Modern Tree',
  'flowerandpot_daniel_ste_r.png': 'Potted Flower',
  'tree_01.png': 'Bonsai Tree',
};

const LEADING_ARTICLES = new Set(['A', 'An', 'Another', 'La', 'Il', 'The']);
const TRAILING_FILLERS = new Set(['Of', 'With', 'And', 'In', 'For', 'On', 'T']);

/** "hiking_boot_jarno_vasama_.png" → "Hiking Boot". */
export function cleanName(file: string): string {
  const override = TITLE_OVERRIDES[path.basename(file)];
  if (override) return override;
  const stem = path.basename(file, '.png').replace(/\.svg/g, '');
  const tokens = stem
    .replace(/([a-z])([A-Z])/g, '$1_$2')
    .toLowerCase()
    .replace(/^t-shirt/, 'tshirt')
    .split(/[_\s-]+/)
    .filter((t) => /[a-z]/.test(t));
  const words: string[] = [];
  for (const [i, token] of tokens.entries()) {
    // The first token is always the object ("mo" could be an author, "mobile" never is).
    if (i > 0 && AUTHOR_TOKENS.has(token)) break;
    const bare = token.replace(/\d+$/, '');
    if (bare.length === 0 || /^(bw|v0\.1|r|s|01r|o)$/.test(token)) continue;
    const translated = TRANSLATE[token] ?? TRANSLATE[bare];
    if (translated !== undefined) {
      if (translated.length > 0) words.push(translated);
      continue;
    }
    words.push(bare === 'tshirt' ? 'T-Shirt' : titleCase(bare));
  }
  const out: string[] = [];
  for (const w of words.join(' ').split(' ')) if (w && out[out.length - 1] !== w) out.push(w);
  while (out.length > 1 && LEADING_ARTICLES.has(out[0]!)) out.shift();
  while (out.length > 1 && TRAILING_FILLERS.has(out[out.length - 1]!)) out.pop();
  return out.map((w, i) => (i > 0 && /^(Of|With|And|In|For|On)$/.test(w) ? w.toLowerCase() : w)).join(' ');
}

interface Candidate {
  rel: string;
  category: CategoryRule;
  thumb: Uint8Array;
  colour: string;
}

async function listPngs(folder: string): Promise<string[]> {
  const dir = path.join(SOURCE_ROOT, folder);
  if (!existsSync(dir)) return [];
  const entries = await readdir(dir, { withFileTypes: true });
  return entries
    .filter((e) => e.isFile() && e.name.endsWith('.png'))
    .map((e) => path.posix.join(folder, e.name))
    .sort();
}

const sourceCache = new Map<string, Buffer | null>();

/**
 * Flattened (onto white), trimmed PNG of a source, at most 720 px on the long side; null when
 * it is too small or unreadable. Cached: every source is read once for analysis and again for
 * rendering.
 */
async function loadSource(rel: string): Promise<Sharp | null> {
  if (!sourceCache.has(rel)) sourceCache.set(rel, await decodeSource(rel));
  const buf = sourceCache.get(rel);
  return buf ? sharp(buf) : null;
}

async function decodeSource(rel: string): Promise<Buffer | null> {
  const file = path.join(SOURCE_ROOT, rel);
  try {
    const meta = await sharp(file).metadata();
    if (Math.max(meta.width ?? 0, meta.height ?? 0) < MIN_SOURCE_SIDE) return null;
    // A few sources are 10k+ px wide; the shot needs at most ~540 px (the zoomed variant).
    const flat = await sharp(file, { limitInputPixels: 1_000_000_000 })
      .resize(720, 720, { fit: 'inside', withoutEnlargement: true })
      .flatten({ background: '#ffffff' })
      .removeAlpha()
      .png({ compressionLevel: 1 })
      .toBuffer();
    return await sharp(flat).trim({ background: '#ffffff', threshold: 12 }).png({ compressionLevel: 1 }).toBuffer();
  } catch {
    return null;
  }
}

async function analyse(rel: string): Promise<{ thumb: Uint8Array; colour: string } | null> {
  const src = await loadSource(rel);
  if (!src) return null;
  const small = await src
    .clone()
    .resize(64, 64, { fit: 'contain', background: '#ffffff' })
    .raw()
    .toBuffer({ resolveWithObject: true });
  const px = small.data;
  const counts = new Map<string, number>();
  let ink = 0;
  for (let i = 0; i < px.length; i += 3) {
    const r = px[i]!;
    const g = px[i + 1]!;
    const b = px[i + 2]!;
    if (r > 235 && g > 235 && b > 235) continue;
    ink++;
    // Outlines (and their anti-aliased gray edges) are in most clip art; count them at a
    // fraction so the fills decide the colour.
    const name = colourName(r, g, b);
    counts.set(name, (counts.get(name) ?? 0) + (name === 'black' ? 0.35 : name === 'gray' ? 0.6 : 1));
  }
  if (ink / (64 * 64) < MIN_INK) return null;
  let colour = 'multicolour';
  let best = 0;
  for (const [name, n] of [...counts.entries()].sort()) {
    if (n > best) {
      best = n;
      colour = name;
    }
  }
  const thumb = await src
    .clone()
    .resize(16, 16, { fit: 'contain', background: '#ffffff' })
    .grayscale()
    .raw()
    .toBuffer();
  return { thumb: new Uint8Array(thumb), colour };
}

function thumbDistance(a: Uint8Array, b: Uint8Array): number {
  let diff = 0;
  let inkA = 0;
  let inkB = 0;
  for (let i = 0; i < a.length; i++) {
    diff += Math.abs(a[i]! - b[i]!);
    inkA += 255 - a[i]!;
    inkB += 255 - b[i]!;
  }
  return diff / Math.max(inkA, inkB, 1);
}

async function collectCandidates(log: (line: string) => void): Promise<Candidate[]> {
  const seenNames = new Set<string>();
  const chosen: Candidate[] = [];
  for (const category of CATEGORIES) {
    const files: string[] = [];
    for (const folder of category.folders) files.push(...(await listPngs(folder)));
    const accepted: Candidate[] = [];
    for (const rel of files) {
      const base = path.basename(rel);
      if (seenNames.has(base)) continue;
      if (!category.include.test(base) || category.exclude?.test(base)) continue;
      seenNames.add(base);
      const info = await analyse(rel);
      if (!info) {
        log(`skip (small/blank/unreadable): ${rel}`);
        continue;
      }
      // Same drawing under another name (or a recoloured copy): keep the first one only.
      const twin = [...chosen, ...accepted].find((c) => thumbDistance(c.thumb, info.thumb) < NEAR_DUPLICATE_RATIO);
      if (twin) {
        log(`skip (near-duplicate of ${twin.rel}): ${rel}`);
        continue;
      }
      accepted.push({ rel, category, thumb: info.thumb, colour: info.colour });
    }
    // Spread the picks evenly over the sorted list so every source folder is represented,
    // rather than filling the category from the alphabetically first folder.
    const n = accepted.length;
    const take = Math.min(category.max, n);
    for (let i = 0; i < take; i++) chosen.push(accepted[Math.floor((i * n) / take)]!);
    log(`${category.name}: ${n} usable, ${take} taken`);
  }
  return chosen;
}

async function renderShot(rel: string, variant: 'main' | 'alternate'): Promise<Buffer> {
  const src = await loadSource(rel);
  if (!src) throw new Error(`source vanished: ${rel}`);
  const inner = CANVAS - 2 * MARGIN;
  let pipeline = src;
  if (variant === 'alternate') {
    // Second "shot" of the same product: mirrored and zoomed in, as a shop's detail view would be.
    const zoomed = await src
      .flop()
      .resize(Math.round(inner * 1.35), Math.round(inner * 1.35), { fit: 'inside' })
      .png()
      .toBuffer();
    const meta = await sharp(zoomed).metadata();
    const w = meta.width ?? inner;
    const h = meta.height ?? inner;
    const cw = Math.min(w, CANVAS - 8);
    const ch = Math.min(h, CANVAS - 8);
    pipeline = sharp(zoomed).extract({
      left: Math.floor((w - cw) / 2),
      top: Math.floor((h - ch) / 2),
      width: cw,
      height: ch,
    });
    const piece = await pipeline.png().toBuffer();
    return sharp({ create: { width: CANVAS, height: CANVAS, channels: 3, background: '#ffffff' } })
      .composite([{ input: piece, gravity: 'centre' }])
      .jpeg({ quality: JPEG_QUALITY, mozjpeg: true })
      .toBuffer();
  }
  const piece = await pipeline
    .resize(inner, inner, { fit: 'inside', kernel: 'lanczos3' })
    .png()
    .toBuffer();
  return sharp({ create: { width: CANVAS, height: CANVAS, channels: 3, background: '#ffffff' } })
    .composite([{ input: piece, gravity: 'centre' }])
    .jpeg({ quality: JPEG_QUALITY, mozjpeg: true })
    .toBuffer();
}

function csvField(value: string): string {
  return /[",\n\r]/.test(value) ? `"${value.replace(/"/g, '""')}"` : value;
}

function priceFor(rand: () => number, [lo, hi]: [number, number]): string {
  // Skewed towards the cheap end, as real assortments are.
  const raw = lo + (hi - lo) * rand() ** 2.2;
  const whole = Math.max(1, Math.floor(raw));
  const cents = pick(rand, ['99', '99', '95', '49', '90', '00']);
  return `${whole}.${cents}`;
}

export interface DemoProduct {
  id: string;
  title: string;
  brand: string;
  category: string;
  price: string;
  currency: 'EUR';
  images: string[];
  color: string;
  extraColumn: string;
  extraValue: string;
  source: string;
}

export async function generateDemo(
  outDir: string,
  sheetsDir?: string,
  log: (line: string) => void = () => {},
): Promise<DemoProduct[]> {
  const candidates = await collectCandidates(log);
  const imagesDir = path.join(outDir, 'images');
  await rm(imagesDir, { recursive: true, force: true });
  await mkdir(imagesDir, { recursive: true });

  // One product in SECOND_IMAGE_EVERY gets a second, detail shot: those with the smallest
  // hash of their source path, so the choice does not depend on list order.
  const withSecond = new Set(
    candidates
      .map((c) => c.rel)
      .sort((a, b) => hash32(`second:${a}`) - hash32(`second:${b}`) || (a < b ? -1 : 1))
      .slice(0, Math.round(candidates.length / SECOND_IMAGE_EVERY)),
  );
  const products: DemoProduct[] = [];
  const titles = new Set<string>();
  for (const [index, c] of candidates.entries()) {
    const rand = seededRandom(hash32(`shoplens-demo:${c.rel}`));
    const id = `p${String(index + 1).padStart(4, '0')}`;
    const base = cleanName(c.rel) || 'Item';
    const extraValue = pick(rand, c.category.extra.values);
    const colourWord = ['multicolour', 'white', 'gray'].includes(c.colour) ? '' : titleCase(c.colour);
    // Shop titles often lead with the colour; skip it when the name already has one.
    let title = base;
    if (rand() < 0.5 && colourWord && !base.toLowerCase().includes(c.colour)) title = `${colourWord} ${base}`;
    let n = 2;
    const plain = title;
    while (titles.has(title)) title = `${plain} ${['II', 'III', 'IV', 'V', 'VI', 'VII', 'VIII', 'IX', 'X'][n++ - 2] ?? n}`;
    titles.add(title);

    const images = [`images/${id}.jpg`];
    await writeFile(path.join(outDir, images[0]!), await renderShot(c.rel, 'main'));
    if (withSecond.has(c.rel)) {
      const second = `images/${id}-2.jpg`;
      await writeFile(path.join(outDir, second), await renderShot(c.rel, 'alternate'));
      images.push(second);
    }
    products.push({
      id,
      title,
      brand: pick(rand, BRANDS),
      category: c.category.name,
      price: priceFor(rand, c.category.price),
      currency: 'EUR',
      images,
      color: c.colour,
      extraColumn: c.category.extra.column,
      extraValue,
      source: c.rel,
    });
  }

  const header = ['id', 'title', 'brand', 'category', 'price', 'currency', 'image', 'color', 'material', 'style', 'size'];
  const lines = [header.join(',')];
  for (const p of products) {
    const extras = { material: '', style: '', size: '' };
    extras[p.extraColumn as keyof typeof extras] = p.extraValue;
    lines.push(
      [p.id, p.title, p.brand, p.category, p.price, p.currency, p.images.join('|'), p.color, extras.material, extras.style, extras.size]
        .map(csvField)
        .join(','),
    );
  }
  await writeFile(path.join(outDir, 'catalog.csv'), lines.join('\n') + '\n');

  const sourceLines = ['id,image,source,variant'];
  for (const p of products) {
    for (const [i, img] of p.images.entries()) {
      sourceLines.push(
        [p.id, img, `openclipart-png:/usr/share/openclipart/png/${p.source}`, i === 0 ? 'original' : 'mirrored-zoomed']
          .map(csvField)
          .join(','),
      );
    }
  }
  await writeFile(path.join(outDir, 'sources.csv'), sourceLines.join('\n') + '\n');

  if (sheetsDir) await writeSheets(outDir, sheetsDir, products);
  return products;
}

/** Contact sheets (6×5 labelled thumbnails, PNG) for eyeballing the selection; not part of the catalog. */
async function writeSheets(outDir: string, sheetsDir: string, products: DemoProduct[]): Promise<void> {
  await mkdir(sheetsDir, { recursive: true });
  const per = 30;
  const esc = (t: string) => t.replace(/&/g, '&amp;').replace(/</g, '&lt;');
  for (let s = 0; s * per < products.length; s++) {
    const slice = products.slice(s * per, (s + 1) * per);
    const tiles = await Promise.all(
      slice.map(async (p, i) => {
        const label = Buffer.from(
          `<svg xmlns="http://www.w3.org/2000/svg" width="180" height="30"><rect width="180" height="30" fill="#eee"/>` +
            `<text x="3" y="12" font-size="11" font-family="sans-serif">${esc(p.id)} ${esc(p.color)} ${p.images.length > 1 ? '[2]' : ''}</text>` +
            `<text x="3" y="26" font-size="11" font-family="sans-serif">${esc(p.title.slice(0, 30))}</text></svg>`,
        );
        const tile = await sharp(path.join(outDir, p.images[0]!))
          .resize(180, 180)
          .extend({ bottom: 30, background: '#eeeeee' })
          .composite([{ input: label, top: 180, left: 0 }])
          .png()
          .toBuffer();
        return { input: tile, left: (i % 6) * 190, top: Math.floor(i / 6) * 220 };
      }),
    );
    await sharp({ create: { width: 6 * 190, height: 5 * 220, channels: 3, background: '#888888' } })
      .composite(tiles)
      .png()
      .toFile(path.join(sheetsDir, `sheet-${String(s).padStart(2, '0')}.png`));
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const arg = (name: string): string | undefined => {
    const i = process.argv.indexOf(`--${name}`);
    return i >= 0 ? process.argv[i + 1] : undefined;
  };
  const sheets = arg('sheets');
  const outDir = path.resolve(arg('out') ?? HERE);
  const started = Date.now();
  const verbose = process.argv.includes('--verbose');
  const products = await generateDemo(outDir, sheets, verbose ? (line) => console.log(line) : undefined);
  const byCategory = new Map<string, number>();
  for (const p of products) byCategory.set(p.category, (byCategory.get(p.category) ?? 0) + 1);
  for (const [name, n] of byCategory) console.log(`${n.toString().padStart(4)}  ${name}`);
  const withTwo = products.filter((p) => p.images.length > 1).length;
  console.log(`${products.length} products (${withTwo} with 2 images) in ${((Date.now() - started) / 1000).toFixed(1)} s`);
}
