//! Writing and reading the archive stream: tar → zstd → (age) → file, and back.
//!
//! Reading sniffs the layers, so the same reader opens mfactl archives (`.tar.zst[.age]`) and
//! pi-manage's gzip tarballs.

use crate::manifest::Member;
use age::secrecy::SecretString;
use mfactl_plugin_api::{Error, Result};
use sha2::{Digest, Sha256};
use std::fs::File;
use std::io::{self, BufRead, BufReader, BufWriter, Read, Write};
use std::path::Path;

/// How to encrypt a new archive.
pub enum Encryption {
    /// To age recipients (`age1…` public keys).
    Recipients(Vec<age::x25519::Recipient>),
    /// With a passphrase (age's scrypt recipient).
    Passphrase(SecretString),
}

/// The encryption (or not) below the compressor.
pub enum Sink {
    /// Plain file.
    Plain(BufWriter<File>),
    /// age stream.
    Age(age::stream::StreamWriter<BufWriter<File>>),
}

impl Write for Sink {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        match self {
            Sink::Plain(w) => w.write(buf),
            Sink::Age(w) => w.write(buf),
        }
    }
    fn flush(&mut self) -> io::Result<()> {
        match self {
            Sink::Plain(w) => w.flush(),
            Sink::Age(w) => w.flush(),
        }
    }
}

impl Sink {
    fn finish(self) -> io::Result<File> {
        let buf = match self {
            Sink::Plain(w) => w,
            Sink::Age(w) => w.finish()?,
        };
        buf.into_inner().map_err(|e| e.into_error())
    }
}

/// A reader that hashes and counts what passes through.
pub struct HashRead<R> {
    inner: R,
    hasher: Sha256,
    count: u64,
}

impl<R: Read> HashRead<R> {
    /// Wraps `inner`.
    pub fn new(inner: R) -> Self {
        HashRead {
            inner,
            hasher: Sha256::new(),
            count: 0,
        }
    }
    /// Bytes read so far.
    pub fn count(&self) -> u64 {
        self.count
    }
    /// The hex SHA-256 of what was read.
    pub fn hex(self) -> String {
        hex::encode(self.hasher.finalize())
    }
}

impl<R: Read> Read for HashRead<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.hasher.update(&buf[..n]);
        self.count += n as u64;
        Ok(n)
    }
}

/// Ownership and time of a member.
#[derive(Debug, Clone, Copy, Default)]
pub struct Meta {
    /// Permission bits.
    pub mode: u32,
    /// Owner uid.
    pub uid: u64,
    /// Owner gid.
    pub gid: u64,
    /// Modification time (seconds since the epoch).
    pub mtime: u64,
}

/// Streams members into a new archive.
pub struct ArchiveWriter {
    tar: tar::Builder<zstd::stream::write::Encoder<'static, Sink>>,
    members: Vec<Member>,
}

fn header_for(kind: tar::EntryType, size: u64, meta: Meta) -> tar::Header {
    let mut h = tar::Header::new_gnu();
    h.set_entry_type(kind);
    h.set_size(size);
    h.set_mode(meta.mode & 0o7777);
    h.set_uid(meta.uid);
    h.set_gid(meta.gid);
    h.set_mtime(meta.mtime);
    if let Some(n) = crate::owners::user_name(meta.uid) {
        let _ = h.set_username(&n);
    }
    if let Some(n) = crate::owners::group_name(meta.gid) {
        let _ = h.set_groupname(&n);
    }
    h
}

impl ArchiveWriter {
    /// Starts an archive on `file` with zstd `level` and optional encryption.
    pub fn new(file: File, level: i32, encryption: Option<Encryption>) -> Result<Self> {
        let buf = BufWriter::with_capacity(1 << 20, file);
        let sink = match encryption {
            None => Sink::Plain(buf),
            Some(Encryption::Passphrase(p)) => Sink::Age(
                age::Encryptor::with_user_passphrase(p)
                    .wrap_output(buf)
                    .map_err(|e| Error::failed("cannot start the encryption").with_source(&e))?,
            ),
            Some(Encryption::Recipients(rs)) => {
                let enc =
                    age::Encryptor::with_recipients(rs.iter().map(|r| r as &dyn age::Recipient))
                        .map_err(|e| Error::failed("cannot start the encryption").with_cause(e))?;
                Sink::Age(
                    enc.wrap_output(buf).map_err(|e| {
                        Error::failed("cannot start the encryption").with_source(&e)
                    })?,
                )
            }
        };
        let mut z = zstd::stream::write::Encoder::new(sink, level)
            .map_err(|e| Error::failed("cannot start the compressor").with_source(&e))?;
        let threads = std::thread::available_parallelism()
            .map(|n| n.get() as u32)
            .unwrap_or(1);
        if threads > 1 {
            // Errors only when zstd was built without threads; then stay single-threaded.
            let _ = z.multithread(threads);
        }
        let mut tar = tar::Builder::new(z);
        tar.mode(tar::HeaderMode::Complete);
        Ok(ArchiveWriter {
            tar,
            members: Vec::new(),
        })
    }

    /// Adds a regular file from memory.
    pub fn add_bytes(&mut self, name: &str, data: &[u8], meta: Meta) -> io::Result<String> {
        self.add_reader(name, data.len() as u64, data, meta)
    }

    /// Adds a regular file of exactly `size` bytes read from `reader`; returns its SHA-256.
    pub fn add_reader(
        &mut self,
        name: &str,
        size: u64,
        reader: impl Read,
        meta: Meta,
    ) -> io::Result<String> {
        let mut h = header_for(tar::EntryType::Regular, size, meta);
        let mut hr = HashRead::new(reader.take(size));
        self.tar.append_data(&mut h, name, &mut hr)?;
        if hr.count() != size {
            return Err(io::Error::new(
                io::ErrorKind::UnexpectedEof,
                format!("{name}: expected {size} bytes, read {}", hr.count()),
            ));
        }
        let sha = hr.hex();
        self.members.push(Member {
            name: name.to_string(),
            kind: "file".into(),
            size,
            sha256: Some(sha.clone()),
            mode: meta.mode & 0o7777,
            uid: meta.uid,
            gid: meta.gid,
            link: None,
        });
        Ok(sha)
    }

    /// Adds a directory entry.
    pub fn add_dir(&mut self, name: &str, meta: Meta) -> io::Result<()> {
        let mut h = header_for(tar::EntryType::Directory, 0, meta);
        let dname = if name.ends_with('/') {
            name.to_string()
        } else {
            format!("{name}/")
        };
        self.tar.append_data(&mut h, &dname, io::empty())?;
        self.members.push(Member {
            name: name.trim_end_matches('/').to_string(),
            kind: "dir".into(),
            size: 0,
            sha256: None,
            mode: meta.mode & 0o7777,
            uid: meta.uid,
            gid: meta.gid,
            link: None,
        });
        Ok(())
    }

    /// Adds a symbolic link.
    pub fn add_symlink(&mut self, name: &str, target: &str, meta: Meta) -> io::Result<()> {
        let mut h = header_for(tar::EntryType::Symlink, 0, meta);
        self.tar.append_link(&mut h, name, target)?;
        self.members.push(Member {
            name: name.to_string(),
            kind: "symlink".into(),
            size: 0,
            sha256: None,
            mode: meta.mode & 0o7777,
            uid: meta.uid,
            gid: meta.gid,
            link: Some(target.to_string()),
        });
        Ok(())
    }

    /// The members written so far.
    pub fn members(&self) -> &[Member] {
        &self.members
    }

    /// Writes the last member (not recorded in [`ArchiveWriter::members`]), closes every layer
    /// and returns the file (not yet synced).
    pub fn finish(mut self, last_name: &str, last: &[u8], meta: Meta) -> io::Result<File> {
        let mut h = header_for(tar::EntryType::Regular, last.len() as u64, meta);
        self.tar.append_data(&mut h, last_name, last)?;
        let z = self.tar.into_inner()?;
        let sink = z.finish()?;
        sink.finish()
    }
}

/// What the layers of an archive file are.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Layers {
    /// age-encrypted.
    pub encrypted: bool,
    /// `zstd`, `gzip` or `none` (known only after decryption; `none` while encrypted).
    pub compression: &'static str,
}

const AGE_MAGIC: &[u8] = b"age-encryption.org/";
const ZSTD_MAGIC: &[u8] = &[0x28, 0xb5, 0x2f, 0xfd];
const GZIP_MAGIC: &[u8] = &[0x1f, 0x8b];

fn compression_of(head: &[u8]) -> &'static str {
    if head.starts_with(ZSTD_MAGIC) {
        "zstd"
    } else if head.starts_with(GZIP_MAGIC) {
        "gzip"
    } else {
        "none"
    }
}

/// Reads the first bytes of `path` and tells the outer layers.
pub fn sniff(path: &Path) -> Result<Layers> {
    let mut f = File::open(path).map_err(|e| {
        Error::failed(format!("cannot open backup file {}", path.display())).with_source(&e)
    })?;
    let mut head = [0u8; 32];
    let mut n = 0;
    while n < head.len() {
        let k = f.read(&mut head[n..]).map_err(|e| {
            Error::failed(format!("cannot read backup file {}", path.display())).with_source(&e)
        })?;
        if k == 0 {
            break;
        }
        n += k;
    }
    let head = &head[..n];
    if head.starts_with(AGE_MAGIC) {
        Ok(Layers {
            encrypted: true,
            compression: "none",
        })
    } else {
        Ok(Layers {
            encrypted: false,
            compression: compression_of(head),
        })
    }
}

/// Secrets that open encrypted archives.
#[derive(Default)]
pub struct Unlock {
    /// age identities (from `--identity` files).
    pub identities: Vec<Box<dyn age::Identity>>,
    /// A passphrase (from `--passphrase-file`, the environment or a prompt).
    pub passphrase: Option<SecretString>,
}

/// Opens `path` and returns the decrypted, decompressed tar stream.
pub fn open(path: &Path, unlock: &Unlock) -> Result<Box<dyn Read>> {
    let layers = sniff(path)?;
    let f = File::open(path).map_err(|e| {
        Error::failed(format!("cannot open backup file {}", path.display())).with_source(&e)
    })?;
    let buf = BufReader::with_capacity(1 << 20, f);
    let mut inner: Box<dyn BufRead> = if layers.encrypted {
        let dec = age::Decryptor::new_buffered(buf).map_err(|e| {
            Error::failed(format!("{}: not a readable age file", path.display())).with_cause(e)
        })?;
        let scrypt_id = unlock
            .passphrase
            .as_ref()
            .map(|p| age::scrypt::Identity::new(p.clone()));
        let mut ids: Vec<&dyn age::Identity> =
            unlock.identities.iter().map(|b| b.as_ref()).collect();
        if let Some(s) = scrypt_id.as_ref() {
            ids.push(s);
        }
        if ids.is_empty() {
            return Err(
                Error::usage(format!("{} is encrypted", path.display())).with_hint(
                    "give --passphrase-file FILE, --identity FILE or MFACTL_BACKUP_PASSPHRASE",
                ),
            );
        }
        let stream = dec.decrypt(ids.into_iter()).map_err(|e| {
            Error::failed(format!("cannot decrypt {}", path.display()))
                .with_cause(e)
                .with_hint("check the passphrase or identity file")
        })?;
        Box::new(BufReader::with_capacity(1 << 20, stream))
    } else {
        Box::new(buf)
    };
    let head = inner
        .fill_buf()
        .map_err(|e| {
            Error::failed(format!("cannot read backup file {}", path.display())).with_source(&e)
        })?
        .to_vec();
    Ok(match compression_of(&head) {
        "zstd" => Box::new(
            zstd::stream::read::Decoder::with_buffer(inner).map_err(|e| {
                Error::failed(format!("cannot read backup file {}", path.display())).with_source(&e)
            })?,
        ),
        "gzip" => Box::new(flate2::bufread::MultiGzDecoder::new(inner)),
        _ => Box::new(inner),
    })
}

/// Loads age identities from an identity file.
pub fn load_identities(path: &Path) -> Result<Vec<Box<dyn age::Identity>>> {
    let f = age::IdentityFile::from_file(path.display().to_string()).map_err(|e| {
        Error::usage(format!("cannot read identity file {}", path.display())).with_source(&e)
    })?;
    f.into_identities().map_err(|e| {
        Error::usage(format!("cannot use identity file {}", path.display())).with_cause(e)
    })
}

/// Reads a passphrase file: the first line, without its line ending.
pub fn read_passphrase_file(path: &Path) -> Result<SecretString> {
    let data = zeroize::Zeroizing::new(std::fs::read(path).map_err(|e| {
        Error::usage(format!("cannot read passphrase file {}", path.display())).with_source(&e)
    })?);
    let text = std::str::from_utf8(&data)
        .map_err(|_| Error::usage(format!("{} is not UTF-8 text", path.display())))?;
    let line = text.lines().next().unwrap_or("").to_string();
    if line.is_empty() {
        return Err(Error::usage(format!(
            "{} holds an empty passphrase",
            path.display()
        )));
    }
    Ok(SecretString::from(line))
}
