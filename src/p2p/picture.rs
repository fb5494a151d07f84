//! Profile pictures: the one an account shows its contacts, as Jami's profile photo.
//!
//! [`prepare`] makes one from a file the user chose (PNG or JPEG of any size up to
//! [`MAX_SOURCE_BYTES`]): cropped to a square about its centre, scaled to [`SIDE`] pixels and
//! encoded as PNG, or as JPEG when a photo's PNG would be larger than [`MAX_PICTURE_BYTES`].
//! [`check`] is what a device applies to a picture a contact sent: PNG or JPEG, at most
//! [`MAX_PICTURE_BYTES`] and [`MAX_SIDE`] pixels a side, decodable. Both return errors,
//! never panic; `check` runs in the `picture` fuzz target.
//!
//! A picture travels by its hash: the account's signed device list names [`hash`] of it, and
//! a contact that lacks that picture asks a device of the account for it (`wire::Request::
//! Picture`), so a device list stays small and a picture crosses the network once per change.

use std::io::Cursor;

use image::{DynamicImage, ImageFormat, ImageReader, Limits};
use sha2::{Digest, Sha256};

/// Width and height of a prepared picture, in pixels.
pub const SIDE: u32 = 128;
/// Largest picture sent or accepted.
pub const MAX_PICTURE_BYTES: usize = 64 * 1024;
/// Largest side of a picture accepted from a contact.
pub const MAX_SIDE: u32 = 256;
/// Largest file a picture is made from.
pub const MAX_SOURCE_BYTES: u64 = 20 * 1024 * 1024;
/// Largest side of a file a picture is made from (a 64-megapixel photo).
const MAX_SOURCE_SIDE: u32 = 8192;

/// Why a picture was not made or not taken.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PictureError {
    /// The chosen file is larger than [`MAX_SOURCE_BYTES`].
    #[error("the picture file is {0} bytes; at most {MAX_SOURCE_BYTES} are taken")]
    SourceTooLarge(u64),
    /// A received picture is larger than [`MAX_PICTURE_BYTES`].
    #[error("a profile picture of {0} bytes (at most {MAX_PICTURE_BYTES})")]
    TooLarge(usize),
    /// Not PNG or JPEG.
    #[error("not a PNG or JPEG picture")]
    Format,
    /// Larger than the limits, or not decodable.
    #[error("the picture cannot be read: {0}")]
    Decode(String),
    /// Encoding the prepared picture failed.
    #[error("the picture cannot be encoded: {0}")]
    Encode(String),
}

/// The hex SHA-256 of a picture: how device lists name it.
pub fn hash(picture: &[u8]) -> String {
    crate::crypto::hex(&Sha256::digest(picture))
}

/// A profile picture made from the bytes of a file the user chose.
pub fn prepare(source: &[u8]) -> Result<Vec<u8>, PictureError> {
    if source.len() as u64 > MAX_SOURCE_BYTES {
        return Err(PictureError::SourceTooLarge(source.len() as u64));
    }
    let image = decode(source, MAX_SOURCE_SIDE)?;
    let square = image.resize_to_fill(SIDE, SIDE, image::imageops::FilterType::Triangle);
    let png = encode(&square, ImageFormat::Png)?;
    if png.len() <= MAX_PICTURE_BYTES {
        return Ok(png);
    }
    // A photo: JPEG keeps it small (its alpha, if any, is dropped).
    let jpeg = encode(
        &DynamicImage::ImageRgb8(square.to_rgb8()),
        ImageFormat::Jpeg,
    )?;
    if jpeg.len() > MAX_PICTURE_BYTES {
        return Err(PictureError::TooLarge(jpeg.len()));
    }
    Ok(jpeg)
}

/// Checks a picture a contact sent; returns it decoded (for the window to show).
pub fn check(picture: &[u8]) -> Result<DynamicImage, PictureError> {
    if picture.len() > MAX_PICTURE_BYTES {
        return Err(PictureError::TooLarge(picture.len()));
    }
    decode(picture, MAX_SIDE)
}

/// Decodes a PNG or JPEG of at most `side` pixels a side.
fn decode(bytes: &[u8], side: u32) -> Result<DynamicImage, PictureError> {
    let format = match image::guess_format(bytes) {
        Ok(format @ (ImageFormat::Png | ImageFormat::Jpeg)) => format,
        _ => return Err(PictureError::Format),
    };
    let mut reader = ImageReader::with_format(Cursor::new(bytes), format);
    let mut limits = Limits::default();
    limits.max_image_width = Some(side);
    limits.max_image_height = Some(side);
    // Four bytes a pixel, twice over for a conversion.
    limits.max_alloc = Some(u64::from(side) * u64::from(side) * 8);
    reader.limits(limits);
    reader
        .decode()
        .map_err(|err| PictureError::Decode(err.to_string()))
}

fn encode(image: &DynamicImage, format: ImageFormat) -> Result<Vec<u8>, PictureError> {
    let mut bytes = Vec::new();
    image
        .write_to(&mut Cursor::new(&mut bytes), format)
        .map_err(|err| PictureError::Encode(err.to_string()))?;
    Ok(bytes)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A `width`×`height` picture in `format`: a gradient, or noise in every channel,
    /// alpha too (what PNG compresses worst).
    fn picture(width: u32, height: u32, noise: bool, format: ImageFormat) -> Vec<u8> {
        let mut state = 0x2545_f491_u32;
        let image = image::RgbaImage::from_fn(width, height, |x, y| {
            if noise {
                state ^= state << 13;
                state ^= state >> 17;
                state ^= state << 5;
                image::Rgba(state.to_le_bytes())
            } else {
                image::Rgba([(x % 256) as u8, (y % 256) as u8, 128, 255])
            }
        });
        let image = DynamicImage::ImageRgba8(image);
        match format {
            // JPEG has no alpha.
            ImageFormat::Jpeg => encode(&DynamicImage::ImageRgb8(image.to_rgb8()), format),
            _ => encode(&image, format),
        }
        .unwrap_or_default()
    }

    #[test]
    fn a_wide_photo_becomes_a_small_square() {
        let source = picture(640, 360, false, ImageFormat::Jpeg);
        let prepared = prepare(&source).unwrap_or_default();
        let image = check(&prepared).map_err(|err| err.to_string());
        assert_eq!(
            image.map(|image| (image.width(), image.height())),
            Ok((SIDE, SIDE))
        );
        assert!(prepared.len() <= MAX_PICTURE_BYTES);
        assert_eq!(image::guess_format(&prepared).ok(), Some(ImageFormat::Png));
    }

    #[test]
    fn noise_too_large_as_png_goes_as_jpeg() {
        let source = picture(128, 128, true, ImageFormat::Png);
        let prepared = prepare(&source).unwrap_or_default();
        assert_eq!(image::guess_format(&prepared).ok(), Some(ImageFormat::Jpeg));
        assert!(prepared.len() <= MAX_PICTURE_BYTES, "{}", prepared.len());
        assert!(check(&prepared).is_ok());
    }

    #[test]
    fn what_is_not_a_picture_is_refused_with_a_reason() {
        assert_eq!(
            prepare(b"GIF89a not taken").err(),
            Some(PictureError::Format)
        );
        assert_eq!(check(b"").err(), Some(PictureError::Format));
        let mut cut = picture(64, 64, false, ImageFormat::Png);
        cut.truncate(cut.len() / 2);
        assert!(matches!(check(&cut), Err(PictureError::Decode(_))));
        // Larger than a contact's picture may be.
        let big = picture(MAX_SIDE + 1, 8, false, ImageFormat::Png);
        assert!(matches!(check(&big), Err(PictureError::Decode(_))));
        assert_eq!(
            check(&vec![0; MAX_PICTURE_BYTES + 1]).err(),
            Some(PictureError::TooLarge(MAX_PICTURE_BYTES + 1))
        );
    }

    #[test]
    fn a_picture_is_named_by_its_sha256() {
        assert_eq!(
            hash(b"abc"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
    }
}
