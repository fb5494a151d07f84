//! G.711 µ-law and A-law (ITU-T G.711), the PCMU and PCMA payloads: 8 kHz, one byte per
//! sample. The encoders follow the standard's segment tables (as in its reference
//! implementation, G.191); decoding inverts them exactly.

/// µ-law bias (G.711: 0x84 = 132).
const BIAS: i32 = 0x84;
/// Largest magnitude µ-law encodes before clipping.
const CLIP: i32 = 32_635;

/// One 16-bit sample to µ-law.
pub fn ulaw_encode(sample: i16) -> u8 {
    let mut value = i32::from(sample);
    let sign = if value < 0 {
        value = -value;
        0x80
    } else {
        0
    };
    value = value.min(CLIP) + BIAS;
    // The segment is the position of the highest set bit of `value >> 7` (1..=255 here).
    let exponent = (31 - ((value >> 7) as u32).leading_zeros()) as i32;
    let mantissa = (value >> (exponent + 3)) & 0x0F;
    !(sign | ((exponent as u8) << 4) | mantissa as u8)
}

/// One µ-law byte to a 16-bit sample.
pub fn ulaw_decode(byte: u8) -> i16 {
    let byte = !byte;
    let exponent = i32::from((byte >> 4) & 0x07);
    let mantissa = i32::from(byte & 0x0F);
    let magnitude = (((mantissa << 3) + BIAS) << exponent) - BIAS;
    let value = if byte & 0x80 != 0 {
        -magnitude
    } else {
        magnitude
    };
    value as i16
}

/// Upper ends of the A-law segments, on 13-bit magnitudes (G.711 table 1a).
const ALAW_SEGMENT_ENDS: [i32; 8] = [0x1F, 0x3F, 0x7F, 0xFF, 0x1FF, 0x3FF, 0x7FF, 0xFFF];

/// One 16-bit sample to A-law.
pub fn alaw_encode(sample: i16) -> u8 {
    // A-law works on 13 bits; negative values are mirrored so that -1 sits next to 0.
    let mut value = i32::from(sample) >> 3;
    let mask = if value >= 0 {
        0xD5
    } else {
        value = -value - 1;
        0x55
    };
    let Some(segment) = ALAW_SEGMENT_ENDS.iter().position(|end| value <= *end) else {
        return 0x7F ^ mask;
    };
    let shift = if segment < 2 { 1 } else { segment };
    let code = ((segment as u8) << 4) | ((value >> shift) & 0x0F) as u8;
    code ^ mask
}

/// One A-law byte to a 16-bit sample.
pub fn alaw_decode(byte: u8) -> i16 {
    let byte = byte ^ 0x55;
    let exponent = i32::from((byte >> 4) & 0x07);
    let mantissa = i32::from(byte & 0x0F);
    let magnitude = if exponent == 0 {
        (mantissa << 4) + 8
    } else {
        ((mantissa << 4) + 0x108) << (exponent - 1)
    };
    let value = if byte & 0x80 != 0 {
        magnitude
    } else {
        -magnitude
    };
    value as i16
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_code_points() {
        // Silence and the extremes, from the G.711 tables.
        assert_eq!(ulaw_encode(0), 0xFF);
        assert_eq!(ulaw_decode(0xFF), 0);
        assert_eq!(ulaw_decode(0x7F), 0);
        assert_eq!(ulaw_encode(i16::MAX), 0x80);
        assert_eq!(ulaw_encode(i16::MIN), 0x00);
        assert_eq!(ulaw_decode(0x80), 32_124);
        assert_eq!(ulaw_decode(0x00), -32_124);
        assert_eq!(alaw_encode(0), 0xD5);
        assert_eq!(alaw_decode(0xD5), 8);
        assert_eq!(alaw_decode(0x55), -8);
        assert_eq!(alaw_encode(i16::MAX), 0xAA);
        assert_eq!(alaw_decode(0xAA), 32_256);
        assert_eq!(alaw_encode(i16::MIN), 0x2A);
    }

    #[test]
    fn every_code_decodes_and_encodes_back_to_itself() {
        for byte in 0..=255u8 {
            assert_eq!(alaw_encode(alaw_decode(byte)), byte, "A-law {byte:#04x}");
            // µ-law has two codes for zero (0x7F and 0xFF); the encoder picks 0xFF.
            if byte != 0x7F {
                assert_eq!(ulaw_encode(ulaw_decode(byte)), byte, "µ-law {byte:#04x}");
            }
        }
    }

    #[test]
    fn quantisation_error_stays_within_the_segment_step() {
        for sample in (i16::MIN..=i16::MAX).step_by(7) {
            let value = i32::from(sample);
            let u = i32::from(ulaw_decode(ulaw_encode(sample)));
            let a = i32::from(alaw_decode(alaw_encode(sample)));
            // Step size grows with the segment; the error is at most half a step of the
            // top segment (1024 for µ-law, 512 for A-law) and a small fraction below it.
            assert!(
                (u - value).abs() <= 1024.max(value.abs() / 16),
                "µ-law {sample} -> {u}"
            );
            assert!(
                (a - value).abs() <= 512.max(value.abs() / 16),
                "A-law {sample} -> {a}"
            );
        }
    }
}
