// Container identity the way docker does it: 64-hex ids, generated `adjective_surname`
// names, name validation, and lookup by full id, unique id prefix or name.
import fs from "node:fs";
import { MydockerError } from "../util/errors.js";

const ADJECTIVES = [
  "admiring", "adoring", "affectionate", "agitated", "amazing", "angry", "awesome",
  "beautiful", "blissful", "bold", "boring", "brave", "busy", "charming", "clever",
  "compassionate", "competent", "condescending", "confident", "cool", "cranky", "crazy",
  "dazzling", "determined", "distracted", "dreamy", "eager", "ecstatic", "elastic",
  "elated", "elegant", "eloquent", "epic", "exciting", "fervent", "festive",
  "flamboyant", "focused", "friendly", "frosty", "funny", "gallant", "gifted", "goofy",
  "gracious", "great", "happy", "hardcore", "heuristic", "hopeful", "hungry",
  "infallible", "inspiring", "intelligent", "interesting", "jolly", "jovial", "keen",
  "kind", "laughing", "loving", "lucid", "magical", "modest", "musing", "mystifying",
  "naughty", "nervous", "nice", "nifty", "nostalgic", "objective", "optimistic",
  "peaceful", "pedantic", "pensive", "practical", "priceless", "quirky", "quizzical",
  "recursing", "relaxed", "reverent", "romantic", "sad", "serene", "sharp", "silly",
  "sleepy", "stoic", "strange", "stupefied", "suspicious", "sweet", "tender",
  "thirsty", "trusting", "unruffled", "upbeat", "vibrant", "vigilant", "vigorous",
  "wizardly", "wonderful", "xenodochial", "youthful", "zealous", "zen",
];

const SURNAMES = [
  "agnesi", "albattani", "allen", "almeida", "antonelli", "archimedes", "ardinghelli",
  "aryabhata", "austin", "babbage", "banach", "banzai", "bardeen", "bartik", "bassi",
  "beaver", "bell", "benz", "bhabha", "bhaskara", "black", "blackburn", "blackwell",
  "bohr", "booth", "borg", "bose", "bouman", "boyd", "brahmagupta", "brattain", "brown",
  "buck", "burnell", "cannon", "carson", "cartwright", "carver", "cerf", "chandrasekhar",
  "chaplygin", "chatelet", "chatterjee", "chaum", "chebyshev", "clarke", "cohen",
  "colden", "cori", "cray", "curie", "curran", "darwin", "davinci", "dewdney", "dhawan",
  "diffie", "dijkstra", "dirac", "driscoll", "dubinsky", "easley", "edison", "einstein",
  "elbakyan", "elgamal", "elion", "ellis", "engelbart", "euclid", "euler", "faraday",
  "feistel", "fermat", "fermi", "feynman", "franklin", "gagarin", "galileo", "galois",
  "ganguly", "gates", "gauss", "germain", "goldberg", "goldstine", "goldwasser",
  "golick", "goodall", "gould", "greider", "grothendieck", "haibt", "hamilton", "haslett",
  "hawking", "heisenberg", "hellman", "hermann", "herschel", "hertz", "heyrovsky",
  "hodgkin", "hofstadter", "hoover", "hopper", "hugle", "hypatia", "ishizaka",
  "jackson", "jang", "jemison", "jennings", "jepsen", "johnson", "joliot", "jones",
  "kalam", "kapitsa", "kare", "keldysh", "keller", "kepler", "khayyam", "khorana",
  "kilby", "kirch", "knuth", "kowalevski", "lalande", "lamarr", "lamport", "leakey",
  "leavitt", "lederberg", "lehmann", "lewin", "lichterman", "liskov", "lovelace",
  "lumiere", "mahavira", "margulis", "matsumoto", "maxwell", "mayer", "mccarthy",
  "mcclintock", "mclaren", "mclean", "mcnulty", "meitner", "mendel", "mendeleev",
  "meninsky", "merkle", "mestorf", "mirzakhani", "montalcini", "moore", "morse",
  "moser", "murdock", "napier", "nash", "neumann", "newton", "nightingale", "nobel",
  "noether", "northcutt", "noyce", "panini", "pare", "pascal", "pasteur", "payne",
  "perlman", "pike", "poincare", "poitras", "proskuriakova", "ptolemy", "raman",
  "ramanujan", "rhodes", "ride", "ritchie", "robinson", "roentgen", "rosalind",
  "rubin", "saha", "sammet", "sanderson", "satoshi", "shamir", "shannon", "shaw",
  "shirley", "shockley", "shtern", "sinoussi", "snyder", "solomon", "spence",
  "stonebraker", "sutherland", "swanson", "swartz", "swirles", "taussig", "tesla",
  "tharp", "thompson", "torvalds", "tu", "turing", "varahamihira", "vaughan",
  "villani", "visvesvaraya", "volhard", "wescoff", "wilbur", "wiles", "williams",
  "williamson", "wilson", "wing", "wozniak", "wright", "wu", "yalow", "yonath", "zhukovsky",
];

export interface ContainerRef {
  id: string;
  name: string;
}

/**
 * 64 hex digits from the kernel's random source, as docker makes ids. Read from
 * /dev/urandom rather than through node:crypto, whose loading would cost every run ~1.5 ms.
 */
export function generateId(): string {
  const bytes = Buffer.alloc(32);
  const fd = fs.openSync("/dev/urandom", "r");
  try {
    if (fs.readSync(fd, bytes) !== bytes.length) throw new Error("/dev/urandom: short read");
  } finally {
    fs.closeSync(fd);
  }
  return bytes.toString("hex");
}

export function shortId(id: string): string {
  return id.slice(0, 12);
}

// Names need no unpredictability, only variety (docker uses math/rand for them).
function pick(list: readonly string[]): string {
  return list[Math.floor(Math.random() * list.length)];
}

// Like docker: a random pair, never "boring_wozniak" (Steve Wozniak is not boring); when
// the pair is taken, retry with a random number appended. taken is asked one name at a
// time (a Set, or the store's name index), never handed every name there is.
export function generateName(taken: { has(name: string): boolean } = new Set()): string {
  for (let retry = 0; ; retry++) {
    let name: string;
    do name = `${pick(ADJECTIVES)}_${pick(SURNAMES)}`;
    while (name === "boring_wozniak");
    if (retry > 0) name += String(Math.floor(Math.random() * 10));
    if (!taken.has(name)) return name;
  }
}

export const RESTRICTED_NAME_CHARS = "[a-zA-Z0-9][a-zA-Z0-9_.-]";
const VALID_NAME = /^\/?[a-zA-Z0-9][a-zA-Z0-9_.-]+$/;

// Returns the name without docker's optional leading "/".
export function validateName(name: string): string {
  if (!VALID_NAME.test(name)) {
    throw new MydockerError(
      "EINVAL",
      `Invalid container name (${name}), only ${RESTRICTED_NAME_CHARS} are allowed`,
    );
  }
  return name.replace(/^\//, "");
}

/** How a container is found: each lookup answers for one key, so no caller has to load them all. */
export interface ContainerLookup {
  hasId(id: string): boolean;
  idByName(name: string): string | undefined;
  /** Up to limit ids starting with prefix. */
  idsWithPrefix(prefix: string, limit: number): string[];
}

/** A lookup over a list already in memory. */
function lookupOf(refs: readonly ContainerRef[]): ContainerLookup {
  return {
    hasId: (id) => refs.some((r) => r.id === id),
    idByName: (name) => refs.find((r) => r.name === name)?.id,
    idsWithPrefix: (prefix, limit) => refs.filter((r) => r.id.startsWith(prefix)).slice(0, limit).map((r) => r.id),
  };
}

// Docker's order: exact id, then exact name, then a unique id prefix. Returns the full id.
export function resolveContainer(refs: readonly ContainerRef[] | ContainerLookup, query: string): string {
  const lookup = Array.isArray(refs) ? lookupOf(refs) : (refs as ContainerLookup);
  const notFound = () => new MydockerError("ENOCONTAINER", `No such container: ${query}`, 1);
  if (query === "") throw notFound();
  if (lookup.hasId(query)) return query;
  const byName = lookup.idByName(query.replace(/^\//, ""));
  if (byName !== undefined) return byName;
  const byPrefix = lookup.idsWithPrefix(query, 2);
  if (byPrefix.length > 1) {
    throw new MydockerError("EAMBIGUOUS", `multiple IDs found with provided prefix: ${query}`, 1);
  }
  if (byPrefix.length === 1) return byPrefix[0];
  throw notFound();
}
