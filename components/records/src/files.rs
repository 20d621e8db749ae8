//! Files in the chart or attached to an appointment: PDF, PNG, JPEG and DICOM, the type decided
//! by the bytes (never by the name or the client's Content-Type), at most 8 MiB, kept in
//! SQLite in chunks of 256 KiB so no single value is large and a download is served a chunk at
//! a time.
//!
//! An upload is written as it arrives ([`Writer`]): the file's row as `uploading` with its first
//! chunk, each chunk as it fills, then one statement that makes it `current` only if every
//! chunk is there — a request that dies half-way leaves a row nobody lists or serves, never
//! half a file.

use jiff::Timestamp;
use serde::Serialize;
use service_kit::db::{Db, Row, Value};
use service_kit::text::TextRule;
use service_kit::{params, Problem};
use sha2::{Digest, Sha256};

/// The largest file accepted: 8 MiB (Fermyon Cloud's request limit is 10 MB).
pub const MAX_SIZE: usize = 8 * 1024 * 1024;
/// One chunk's size (the table's CHECK holds it).
pub const CHUNK: usize = 256 * 1024;

/// What the bytes are.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FileType {
    Pdf,
    Png,
    Jpeg,
    Dicom,
}

impl FileType {
    pub fn media_type(self) -> &'static str {
        match self {
            FileType::Pdf => "application/pdf",
            FileType::Png => "image/png",
            FileType::Jpeg => "image/jpeg",
            FileType::Dicom => "application/dicom",
        }
    }

    /// The type by magic bytes: PDF's `%PDF-`, PNG's signature, JPEG's SOI and a marker, and
    /// DICOM's `DICM` after its 128-byte preamble (Part 10 files). Anything else is refused.
    pub fn sniff(bytes: &[u8]) -> Option<FileType> {
        if bytes.starts_with(b"%PDF-") {
            Some(FileType::Pdf)
        } else if bytes.starts_with(b"\x89PNG\r\n\x1a\n") {
            Some(FileType::Png)
        } else if bytes.starts_with(&[0xFF, 0xD8, 0xFF]) {
            Some(FileType::Jpeg)
        } else if bytes.len() > 132 && &bytes[128..132] == b"DICM" {
            Some(FileType::Dicom)
        } else {
            None
        }
    }
}

/// A file as listed (its bytes are read separately).
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct FileMeta {
    pub id: String,
    pub patient_id: String,
    pub appointment_id: Option<String>,
    pub name: String,
    pub media_type: String,
    pub size: i64,
    pub sha256: String,
    #[serde(skip)]
    pub chunks: i64,
    pub uploaded_by: String,
    pub uploader_role: String,
    pub created_at: String,
    pub status: String,
    pub error_reason: Option<String>,
}

const COLUMNS: &str = "id, patient_id, appointment_id, name, media_type, size, sha256, chunks, \
     uploaded_by, uploader_role, created_at, status, error_reason";

fn meta(row: Row<'_>) -> Result<FileMeta, Problem> {
    Ok(FileMeta {
        id: row.get("id")?,
        patient_id: row.get("patient_id")?,
        appointment_id: row.get("appointment_id")?,
        name: row.get("name")?,
        media_type: row.get("media_type")?,
        size: row.get("size")?,
        sha256: row.get("sha256")?,
        chunks: row.get("chunks")?,
        uploaded_by: row.get("uploaded_by")?,
        uploader_role: row.get("uploader_role")?,
        created_at: row.get("created_at")?,
        status: row.get("status")?,
        error_reason: row.get("error_reason")?,
    })
}

const NAME: TextRule = TextRule::line(1, 200);

/// The name a file is listed and downloaded under: the client's, cleaned, its last path
/// segment only; `upload` when none was given.
pub fn clean_name(raw: Option<&str>) -> Result<String, Problem> {
    let raw = raw
        .map(str::trim)
        .filter(|n| !n.is_empty())
        .unwrap_or("upload");
    let last = raw.rsplit(['/', '\\']).next().unwrap_or(raw);
    NAME.clean(last).map_err(|m| Problem::invalid("name", m))
}

/// A file being stored as its bytes arrive: each full chunk is written as soon as it is there,
/// so an upload streamed in holds one chunk in memory, not the file. The first chunk decides
/// the type (it is refused before anything is written); the row stays `uploading` until
/// [`Writer::finish`] makes it `current` in one statement that checks every chunk is there. A
/// writer dropped half-way leaves an `uploading` row nobody lists or serves
/// ([`Writer::abandon`] removes it).
pub struct Writer<'a> {
    up: Upload<'a>,
    now: Timestamp,
    id: String,
    kind: Option<FileType>,
    seq: i64,
    size: usize,
    hasher: Sha256,
    buf: Vec<u8>,
}

/// Who is storing what, before the bytes.
pub struct Upload<'a> {
    pub patient_id: &'a str,
    pub appointment_id: Option<&'a str>,
    pub name: String,
    pub by_id: &'a str,
    pub by_role: &'a str,
}

fn unsupported() -> Problem {
    Problem::new(
        http::StatusCode::UNSUPPORTED_MEDIA_TYPE,
        "unsupported-file-type",
        "Unsupported file type",
        "a file is a PDF, PNG, JPEG or DICOM document, by its content (whatever its name)",
    )
    .with_field("file", "is not a PDF, PNG, JPEG or DICOM file")
}

impl<'a> Writer<'a> {
    pub fn new(now: Timestamp, up: Upload<'a>) -> Self {
        Writer {
            up,
            now,
            id: service_kit::new_id(now),
            kind: None,
            seq: 0,
            size: 0,
            hasher: Sha256::new(),
            buf: Vec::with_capacity(CHUNK),
        }
    }

    /// Takes the next bytes, writing every chunk they complete. Past [`MAX_SIZE`] it is a 413,
    /// and what was written is removed.
    pub fn push(&mut self, db: &dyn Db, mut bytes: &[u8]) -> Result<(), Problem> {
        self.size += bytes.len();
        if self.size > MAX_SIZE {
            self.abandon(db);
            return Err(Problem::too_large(MAX_SIZE));
        }
        self.hasher.update(bytes);
        while !bytes.is_empty() {
            let room = CHUNK - self.buf.len();
            let (now, rest) = bytes.split_at(room.min(bytes.len()));
            self.buf.extend_from_slice(now);
            bytes = rest;
            if self.buf.len() == CHUNK {
                self.flush(db)?;
            }
        }
        Ok(())
    }

    /// Writes the buffered chunk (the file's row first, with the first chunk).
    fn flush(&mut self, db: &dyn Db) -> Result<(), Problem> {
        if self.seq == 0 {
            let kind = FileType::sniff(&self.buf).ok_or_else(unsupported)?;
            self.kind = Some(kind);
            // Size, chunk count and hash are the finished file's: written by `finish`.
            db.execute(
                "INSERT INTO records_files (id, patient_id, appointment_id, name, media_type, size,
                   sha256, chunks, uploaded_by, uploader_role, created_at, status)
                 VALUES (?1, ?2, ?3, ?4, ?5, 1, '', 1, ?6, ?7, ?8, 'uploading')",
                &[
                    Value::from(self.id.as_str()),
                    Value::from(self.up.patient_id),
                    Value::from(self.up.appointment_id),
                    Value::from(self.up.name.as_str()),
                    Value::from(kind.media_type()),
                    Value::from(self.up.by_id),
                    Value::from(self.up.by_role),
                    Value::from(self.now.to_string()),
                ],
            )?;
        }
        let written = db.execute(
            "INSERT INTO records_file_chunks (file_id, seq, bytes) VALUES (?1, ?2, ?3)",
            &[
                Value::from(self.id.as_str()),
                Value::Integer(self.seq),
                Value::Blob(std::mem::take(&mut self.buf)),
            ],
        );
        if let Err(e) = written {
            self.abandon(db);
            return Err(e.into());
        }
        self.seq += 1;
        Ok(())
    }

    /// The last chunk, then the statement that makes the file current.
    pub fn finish(mut self, db: &dyn Db) -> Result<FileMeta, Problem> {
        if self.size == 0 {
            return Err(Problem::invalid("file", "is empty"));
        }
        if !self.buf.is_empty() {
            self.flush(db)?;
        }
        let sha256: String = std::mem::take(&mut self.hasher)
            .finalize()
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect();
        let rows = db.execute(
            &format!(
                "UPDATE records_files SET status = 'current', size = ?2, chunks = ?3, sha256 = ?4
                 WHERE id = ?1 AND status = 'uploading'
                   AND ?3 = (SELECT COUNT(*) FROM records_file_chunks WHERE file_id = ?1)
                 RETURNING {COLUMNS}"
            ),
            &[
                Value::from(self.id.as_str()),
                Value::Integer(self.size as i64),
                Value::Integer(self.seq),
                Value::from(sha256),
            ],
        )?;
        rows.first()
            .map(meta)
            .transpose()?
            .ok_or_else(|| Problem::internal("the file's chunks were not all written"))
    }

    /// Removes what was written of an upload that will not finish (best effort: a row left
    /// `uploading` is invisible anyway).
    pub fn abandon(&mut self, db: &dyn Db) {
        if self.seq > 0 || self.kind.is_some() {
            let id = Value::from(self.id.as_str());
            let _ = db.execute(
                "DELETE FROM records_file_chunks WHERE file_id = ?1",
                std::slice::from_ref(&id),
            );
            let _ = db.execute(
                "DELETE FROM records_files WHERE id = ?1 AND status = 'uploading'",
                &[id],
            );
        }
        self.buf.clear();
    }
}

/// Stores a file whose bytes are all here (native tests, clients that send it whole).
pub fn store(db: &dyn Db, now: Timestamp, up: Upload, bytes: &[u8]) -> Result<FileMeta, Problem> {
    let mut w = Writer::new(now, up);
    w.push(db, bytes)?;
    w.finish(db)
}

/// The file by id, if it was stored whole.
pub fn get(db: &dyn Db, id: &str) -> Result<Option<FileMeta>, Problem> {
    if !service_kit::could_be_id(id) {
        return Ok(None);
    }
    let rows = db.execute(
        &format!("SELECT {COLUMNS} FROM records_files WHERE id = ?1 AND status <> 'uploading'"),
        params![id],
    )?;
    rows.first().map(meta).transpose()
}

/// Whose file `id` is, if it exists.
pub fn patient_of(db: &dyn Db, id: &str) -> Result<Option<String>, Problem> {
    Ok(get(db, id)?.map(|f| f.patient_id))
}

/// One chunk of a stored file.
pub fn chunk(db: &dyn Db, id: &str, seq: i64) -> Result<Vec<u8>, Problem> {
    let rows = db.execute(
        "SELECT bytes FROM records_file_chunks WHERE file_id = ?1 AND seq = ?2",
        params![id, seq],
    )?;
    rows.first()
        .map(|r| r.get::<Vec<u8>>("bytes"))
        .transpose()?
        .ok_or_else(|| Problem::internal(format!("file {id} lacks chunk {seq}")))
}

/// The whole file (native tests and small files; downloads go a chunk at a time).
pub fn read_all(db: &dyn Db, f: &FileMeta) -> Result<Vec<u8>, Problem> {
    let mut out = Vec::with_capacity(f.size as usize);
    for seq in 0..f.chunks {
        out.extend(chunk(db, &f.id, seq)?);
    }
    Ok(out)
}

/// Marks the file entered-in-error: listed as withdrawn, no longer served; its bytes stay.
pub fn mark_in_error(db: &dyn Db, id: &str, reason: &str) -> Result<FileMeta, Problem> {
    let rows = db.execute(
        &format!(
            "UPDATE records_files SET status = 'entered-in-error', error_reason = ?2
             WHERE id = ?1 AND status = 'current' RETURNING {COLUMNS}"
        ),
        params![id, reason],
    )?;
    match rows.first() {
        Some(r) => meta(r),
        None => Err(Problem::conflict(
            "entered-in-error",
            "this file was marked entered-in-error already",
        )),
    }
}

/// The query of [`list`] (?1 patient, ?2 cursor id, ?3 limit).
pub const LIST: &str = "FROM records_files INDEXED BY records_files_by_patient
     WHERE patient_id = ?1 AND status IN ('current', 'entered-in-error') AND id < ?2
     ORDER BY created_at DESC, id DESC LIMIT ?3";

/// A patient's files, newest first.
pub fn list(
    db: &dyn Db,
    patient: &str,
    before: Option<&str>,
    limit: i64,
) -> Result<Vec<FileMeta>, Problem> {
    let rows = db.execute(
        &format!("SELECT {COLUMNS} {LIST}"),
        params![patient, before.unwrap_or("~"), limit],
    )?;
    rows.iter().map(meta).collect()
}

/// The `Content-Disposition` of a download: always an attachment, never rendered in the app's
/// origin; the name as ASCII with the rest replaced, and in full as RFC 8187 UTF-8.
pub fn disposition(name: &str) -> String {
    let ascii: String = name
        .chars()
        .map(|c| {
            if c.is_ascii_graphic() && !matches!(c, '"' | '\\' | ';' | '%') || c == ' ' {
                c
            } else {
                '_'
            }
        })
        .collect();
    let encoded: String = form_urlencoded::byte_serialize(name.as_bytes())
        .collect::<String>()
        .replace('+', "%20");
    format!("attachment; filename=\"{ascii}\"; filename*=UTF-8''{encoded}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_type_is_the_content_not_the_name() {
        assert_eq!(FileType::sniff(b"%PDF-1.7\n..."), Some(FileType::Pdf));
        assert_eq!(
            FileType::sniff(b"\x89PNG\r\n\x1a\n...."),
            Some(FileType::Png)
        );
        assert_eq!(
            FileType::sniff(&[0xFF, 0xD8, 0xFF, 0xE0, 0, 0]),
            Some(FileType::Jpeg)
        );
        let mut dicom = vec![0u8; 128];
        dicom.extend(b"DICM\x02\x00");
        assert_eq!(FileType::sniff(&dicom), Some(FileType::Dicom));
        for other in [
            &b"<!DOCTYPE html><script>alert(1)</script>"[..],
            b"  %PDF-1.7",
            b"GIF89a",
            b"",
            &[0xFF, 0xD8],
        ] {
            assert_eq!(FileType::sniff(other), None, "{other:?}");
        }
    }

    #[test]
    fn names_lose_their_path_and_downloads_are_attachments() {
        assert_eq!(clean_name(Some("../../etc/passwd")).unwrap(), "passwd");
        assert_eq!(
            clean_name(Some("C:\\scans\\x ray.png")).unwrap(),
            "x ray.png"
        );
        assert_eq!(clean_name(None).unwrap(), "upload");
        assert!(clean_name(Some("a\u{202e}fdp.exe")).is_err());
        assert_eq!(
            disposition("Befund \"März\".pdf"),
            "attachment; filename=\"Befund _M_rz_.pdf\"; filename*=UTF-8''Befund%20%22M%C3%A4rz%22.pdf"
        );
    }
}
