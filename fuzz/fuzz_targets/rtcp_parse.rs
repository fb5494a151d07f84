//! The RTCP compound parser on arbitrary bytes; what parses is written back and re-read.
#![no_main]
libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    if let Ok(reports) = ringlet::media::rtcp::parse_reports(data) {
        let mut out = Vec::new();
        for report in &reports {
            ringlet::media::rtcp::write_report(report, &mut out);
        }
        assert_eq!(ringlet::media::rtcp::parse_reports(&out).map(|r| r.len()), Ok(reports.len()));
    }
});
