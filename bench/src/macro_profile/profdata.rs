//! A reader of the `.mm_profdata` files that `rustc -Z self-profile` writes
//! (measureme's paged format as rustc 1.95 writes it, file format version
//! 9), enough to list the interval events with their labels, arguments and
//! durations.
//!
//! The file: the magic `MMPD` and a version (`u32`, little-endian), then
//! pages, each a tag byte (0 events, 1 string data, 2 string index), a
//! length (`u32`) and that many bytes. The pages of one tag, joined, form a
//! stream that starts with its own 8-byte header (`MMES`, `MMSD`, `MMSI`).
//! String ids are `u64`. Events are 32 bytes: the kind's and the id's
//! string ids, the thread (`u32`), and two 48-bit counters (start and end,
//! nanoseconds) in three `u32`s. The index is pairs of `u64` (id,
//! address). A string is a list of components up to a `0xFF` byte: UTF-8
//! text, or `0xFE` and the id of another string. Ids up to
//! [`METADATA_ID`] are virtual, placed by the index; the others are
//! addresses in the data stream, offset by [`FIRST_REGULAR_ID`]. An event
//! id is its label followed by `0x1E` and an argument (which may start
//! with a `0x11` tag) for each argument.

use std::collections::HashMap;

const FILE_MAGIC: &[u8; 4] = b"MMPD";
const EVENTS_MAGIC: &[u8; 4] = b"MMES";
const DATA_MAGIC: &[u8; 4] = b"MMSD";
const INDEX_MAGIC: &[u8; 4] = b"MMSI";
/// The format rustc 1.95's measureme writes.
pub const VERSION: u32 = 9;
const HEADER: usize = 8;
const EVENT_SIZE: usize = 32;
const ID_SIZE: usize = 8;
const TERMINATOR: u8 = 0xFF;
const REF_TAG: u8 = 0xFE;
const METADATA_ID: u64 = 100_000_001;
const FIRST_REGULAR_ID: u64 = METADATA_ID + 2;
/// The end counter of an instant event, and of an integer event.
const NOT_AN_INTERVAL: u64 = 0xFFFF_FFFF_FFFE;
const SEPARATOR: char = '\u{1E}';
const ARGUMENT_TAG: char = '\u{11}';
/// What a virtual string id the index does not map reads as.
const UNKNOWN: &str = "<unknown>";

/// An interval event: what ran, with what, for how long.
#[derive(Debug, Clone, PartialEq)]
pub struct Event {
    pub kind: String,
    pub label: String,
    pub arguments: Vec<String>,
    pub thread: u32,
    pub start_ns: u64,
    pub end_ns: u64,
}

impl Event {
    pub fn nanos(&self) -> u64 {
        self.end_ns - self.start_ns
    }
}

/// Every interval event of a profile, in the order of the file.
pub fn read(bytes: &[u8]) -> Result<Vec<Event>, String> {
    let version = header(bytes, FILE_MAGIC, "file")?;
    if version != VERSION {
        return Err(format!(
            "self-profile format version {version}; this reader knows version {VERSION}"
        ));
    }
    let mut streams: [Vec<u8>; 3] = Default::default();
    let mut at = HEADER;
    while at < bytes.len() {
        let tag = usize::from(bytes[at]);
        let length = u32_at(bytes, at + 1).ok_or("a page header is cut")? as usize;
        let page = bytes.get(at + 5..at + 5 + length).ok_or("a page is cut")?;
        streams
            .get_mut(tag)
            .ok_or_else(|| format!("unknown page tag {tag}"))?
            .extend_from_slice(page);
        at += 5 + length;
    }
    let [events, data, index] = streams;
    header(&events, EVENTS_MAGIC, "event stream")?;
    header(&data, DATA_MAGIC, "string data")?;
    header(&index, INDEX_MAGIC, "string index")?;
    let strings = Strings {
        data: &data,
        index: index[HEADER..]
            .chunks_exact(2 * ID_SIZE)
            .map(|entry| (u64_le(&entry[..ID_SIZE]), u64_le(&entry[ID_SIZE..])))
            .collect(),
    };
    let mut out = Vec::new();
    for raw in events[HEADER..].chunks_exact(EVENT_SIZE) {
        let upper = u64::from(u32_le(&raw[28..32]));
        let start_ns = u64::from(u32_le(&raw[20..24])) | ((upper & 0xFFFF_0000) << 16);
        let end_ns = u64::from(u32_le(&raw[24..28])) | ((upper & 0x0000_FFFF) << 32);
        if end_ns >= NOT_AN_INTERVAL || end_ns < start_ns {
            continue;
        }
        let id = strings.get(u64_le(&raw[8..16]))?;
        let mut parts = id.split(SEPARATOR);
        let label = parts.next().unwrap_or_default().to_owned();
        out.push(Event {
            kind: strings.get(u64_le(&raw[0..8]))?,
            label,
            arguments: parts
                .map(|arg| arg.strip_prefix(ARGUMENT_TAG).unwrap_or(arg).to_owned())
                .collect(),
            thread: u32_le(&raw[16..20]),
            start_ns,
            end_ns,
        });
    }
    Ok(out)
}

fn header(stream: &[u8], magic: &[u8; 4], what: &str) -> Result<u32, String> {
    if stream.len() < HEADER || &stream[..4] != magic {
        return Err(format!("not a self-profile {what} (no {magic:?} header)"));
    }
    Ok(u32_le(&stream[4..8]))
}

fn u32_le(bytes: &[u8]) -> u32 {
    u32::from_le_bytes([bytes[0], bytes[1], bytes[2], bytes[3]])
}

fn u64_le(bytes: &[u8]) -> u64 {
    let mut le = [0; 8];
    le.copy_from_slice(&bytes[..8]);
    u64::from_le_bytes(le)
}

fn u32_at(bytes: &[u8], at: usize) -> Option<u32> {
    bytes.get(at..at + 4).map(u32_le)
}

struct Strings<'a> {
    data: &'a [u8],
    index: HashMap<u64, u64>,
}

impl Strings<'_> {
    fn get(&self, id: u64) -> Result<String, String> {
        let mut out = String::new();
        self.write(id, &mut out, 0)?;
        Ok(out)
    }

    fn write(&self, id: u64, out: &mut String, depth: usize) -> Result<(), String> {
        if depth > 64 {
            return Err(format!("string {id} refers to itself"));
        }
        let mut at = if id <= METADATA_ID {
            // rustc leaves some virtual ids unmapped (as measureme's own
            // reader does, they read as unknown).
            let Some(&at) = self.index.get(&id) else {
                out.push_str(UNKNOWN);
                return Ok(());
            };
            at as usize
        } else {
            (id - FIRST_REGULAR_ID) as usize
        };
        loop {
            match self.data.get(at) {
                None => return Err(format!("string {id} runs past the data")),
                Some(&TERMINATOR) => return Ok(()),
                Some(&REF_TAG) => {
                    let inner = self
                        .data
                        .get(at + 1..at + 1 + ID_SIZE)
                        .map(u64_le)
                        .ok_or("a string reference is cut")?;
                    self.write(inner, out, depth + 1)?;
                    at += 1 + ID_SIZE;
                }
                Some(_) => {
                    let rest = &self.data[at..];
                    let len = rest
                        .iter()
                        .position(|&b| b == TERMINATOR || b == REF_TAG)
                        .ok_or("a string has no end")?;
                    out.push_str(&String::from_utf8_lossy(&rest[..len]));
                    at += len;
                }
            }
        }
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    /// A profile in the format `read` takes, written by hand: the string
    /// table holds `strings` at regular ids (a `Some(n)` component refers to
    /// the `n`th string), and `events` are (kind, id, start, end) by index
    /// into `strings`, the id's index also usable as a virtual id.
    pub(crate) fn profile(
        strings: &[&[Result<&str, usize>]],
        events: &[(usize, usize, u64, u64)],
    ) -> Vec<u8> {
        let mut data = DATA_MAGIC.to_vec();
        data.extend_from_slice(&VERSION.to_le_bytes());
        let mut ids = Vec::new();
        for components in strings {
            ids.push(FIRST_REGULAR_ID + data.len() as u64);
            for component in *components {
                match component {
                    Ok(text) => data.extend_from_slice(text.as_bytes()),
                    Err(n) => {
                        data.push(REF_TAG);
                        data.extend_from_slice(&ids[*n].to_le_bytes());
                    }
                }
            }
            data.push(TERMINATOR);
        }
        // String 0 is also reachable as virtual id 7.
        let mut index = INDEX_MAGIC.to_vec();
        index.extend_from_slice(&VERSION.to_le_bytes());
        index.extend_from_slice(&7u64.to_le_bytes());
        index.extend_from_slice(&(ids[0] - FIRST_REGULAR_ID).to_le_bytes());
        let mut stream = EVENTS_MAGIC.to_vec();
        stream.extend_from_slice(&VERSION.to_le_bytes());
        for &(kind, id, start, end) in events {
            stream.extend_from_slice(&ids[kind].to_le_bytes());
            stream.extend_from_slice(&ids[id].to_le_bytes());
            stream.extend_from_slice(&1u32.to_le_bytes());
            stream.extend_from_slice(&(start as u32).to_le_bytes());
            stream.extend_from_slice(&(end as u32).to_le_bytes());
            let upper = ((start >> 16) as u32 & 0xFFFF_0000) | (end >> 32) as u32;
            stream.extend_from_slice(&upper.to_le_bytes());
        }
        let mut file = FILE_MAGIC.to_vec();
        file.extend_from_slice(&VERSION.to_le_bytes());
        // Pages interleaved, the events split in two.
        let split = HEADER + EVENT_SIZE.min(stream.len() - HEADER);
        for (tag, page) in [
            (0u8, &stream[..split]),
            (1, &data[..]),
            (2, &index[..]),
            (0, &stream[split..]),
        ] {
            if page.is_empty() {
                continue;
            }
            file.push(tag);
            file.extend_from_slice(&(page.len() as u32).to_le_bytes());
            file.extend_from_slice(page);
        }
        file
    }

    #[test]
    fn events_come_back_with_labels_arguments_and_durations() {
        let strings: &[&[Result<&str, usize>]] = &[
            &[Ok("GenericActivity")],
            &[Ok("expand_proc_macro")],
            &[Ok("derive macro `Serialize`")],
            // label, separator, argument, separator, argument
            &[
                Err(1),
                Ok("\u{1E}\u{11}"),
                Err(2),
                Ok("\u{1E}"),
                Ok("src/ops.rs:10:1: 10:30"),
            ],
            &[Ok("typeck")],
        ];
        let big = 0x1234_5678_9ABC_u64;
        let bytes = profile(
            strings,
            &[
                (0, 3, 1_000, 251_000),
                (0, 4, big, big + 5),
                (0, 4, 10, NOT_AN_INTERVAL),
            ],
        );
        let events = read(&bytes).expect("a profile");
        assert_eq!(events.len(), 2, "the instant event is left out");
        assert_eq!(events[0].kind, "GenericActivity");
        assert_eq!(events[0].label, "expand_proc_macro");
        assert_eq!(
            events[0].arguments,
            vec!["derive macro `Serialize`", "src/ops.rs:10:1: 10:30"]
        );
        assert_eq!(events[0].nanos(), 250_000);
        assert_eq!(events[1].label, "typeck");
        assert_eq!((events[1].start_ns, events[1].nanos()), (big, 5));
        let strings = Strings {
            data: &bytes[0..0],
            index: HashMap::new(),
        };
        assert_eq!(strings.get(7).as_deref(), Ok(UNKNOWN));
        assert!(strings.get(FIRST_REGULAR_ID + 3).is_err());
    }

    #[test]
    fn another_format_is_refused_with_its_version() {
        let mut bytes = profile(&[&[Ok("x")]], &[]);
        bytes[4] = 8;
        assert!(read(&bytes).unwrap_err().contains("version 8"));
        assert!(read(b"MMPX\x09\0\0\0").is_err());
    }
}
