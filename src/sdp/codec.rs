//! The audio codecs Ringlet offers, as SDP knows them (RFC 3551 static payload types,
//! dynamic ones with rtpmap). The media engine implements each of these.

/// One codec as it appears in SDP.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Codec {
    /// Short name used in settings and on the command line (`opus`, `pcmu`, …).
    pub id: &'static str,
    /// Encoding name in `a=rtpmap` (case-insensitive on the wire).
    pub encoding: &'static str,
    /// RTP clock rate.
    pub clock_rate: u32,
    /// Channels in `a=rtpmap`.
    pub channels: u8,
    /// Static payload type (RFC 3551), if any.
    pub static_payload_type: Option<u8>,
    /// Payload type offered when dynamic.
    pub dynamic_payload_type: u8,
    /// `a=fmtp` parameters offered.
    pub fmtp: Option<&'static str>,
}

/// The codecs in default preference order, then telephone-event (RFC 4733).
pub const KNOWN_CODECS: &[Codec] = &[
    Codec {
        id: "opus",
        encoding: "opus",
        clock_rate: 48_000,
        channels: 2,
        static_payload_type: None,
        dynamic_payload_type: 111,
        // sprop-stereo: what we send may be stereo (a stereo file played into the call,
        // when the peer asks for stereo=1); we ask for mono, which is what we play.
        fmtp: Some("useinbandfec=1;sprop-stereo=1"),
    },
    Codec {
        id: "g722",
        encoding: "G722",
        // RFC 3551 §4.5.2: G.722 is clocked at 8000 in RTP although it samples at 16 kHz.
        clock_rate: 8_000,
        channels: 1,
        static_payload_type: Some(9),
        dynamic_payload_type: 9,
        fmtp: None,
    },
    Codec {
        id: "pcmu",
        encoding: "PCMU",
        clock_rate: 8_000,
        channels: 1,
        static_payload_type: Some(0),
        dynamic_payload_type: 0,
        fmtp: None,
    },
    Codec {
        id: "pcma",
        encoding: "PCMA",
        clock_rate: 8_000,
        channels: 1,
        static_payload_type: Some(8),
        dynamic_payload_type: 8,
        fmtp: None,
    },
    Codec {
        id: "speex",
        encoding: "speex",
        clock_rate: 16_000,
        channels: 1,
        static_payload_type: None,
        dynamic_payload_type: 97,
        fmtp: None,
    },
    Codec {
        id: "speex-nb",
        encoding: "speex",
        clock_rate: 8_000,
        channels: 1,
        static_payload_type: None,
        dynamic_payload_type: 98,
        fmtp: None,
    },
    Codec {
        id: "speex-uwb",
        encoding: "speex",
        clock_rate: 32_000,
        channels: 1,
        static_payload_type: None,
        dynamic_payload_type: 99,
        fmtp: None,
    },
    Codec {
        id: "gsm",
        encoding: "GSM",
        clock_rate: 8_000,
        channels: 1,
        static_payload_type: Some(3),
        dynamic_payload_type: 3,
        fmtp: None,
    },
];

/// RFC 4733 DTMF events.
pub const TELEPHONE_EVENT: Codec = Codec {
    id: "telephone-event",
    encoding: "telephone-event",
    clock_rate: 8_000,
    channels: 1,
    static_payload_type: None,
    dynamic_payload_type: 101,
    fmtp: Some("0-16"),
};

impl Codec {
    /// Looks a codec up by its short name.
    pub fn by_id(id: &str) -> Option<&'static Codec> {
        KNOWN_CODECS
            .iter()
            .find(|codec| codec.id.eq_ignore_ascii_case(id))
    }

    /// The payload type to offer.
    pub fn offered_payload_type(&self) -> u8 {
        self.static_payload_type
            .unwrap_or(self.dynamic_payload_type)
    }

    /// True when a remote `(encoding, clock, channels)` is this codec. Opus is always
    /// `opus/48000/2` in SDP (RFC 7587), whatever is sent; others must match channels.
    pub fn matches(&self, encoding: &str, clock_rate: u32, channels: u8) -> bool {
        self.encoding.eq_ignore_ascii_case(encoding)
            && self.clock_rate == clock_rate
            && (self.channels == channels || self.id == "opus")
    }

    /// The `a=rtpmap` value for payload type `pt`.
    pub fn rtpmap(&self, pt: u8) -> String {
        if self.channels > 1 {
            format!(
                "{pt} {}/{}/{}",
                self.encoding, self.clock_rate, self.channels
            )
        } else {
            format!("{pt} {}/{}", self.encoding, self.clock_rate)
        }
    }
}
