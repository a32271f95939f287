//! QR codes for phone-only sources: the phone link drawn as one SVG path.
//! The edge draws it, not the widget: the encoder then costs the widget's
//! download nothing, and the widget needs no image request and no inline
//! style (strict CSP) to show it.

use healthlink_shared::PhoneQr;
use qrcodegen::{QrCode, QrCodeEcc};

/// Light modules around the code, as the QR specification asks, so phone
/// cameras find it on any background.
const QUIET_ZONE: i32 = 4;

/// Encodes `text` (a link of up to a few hundred bytes) with medium error
/// correction, which survives a scratched screen or a glare spot. `None`
/// when the text is too long for any QR code.
pub fn qr_svg(text: &str) -> Option<PhoneQr> {
    let code = QrCode::encode_text(text, QrCodeEcc::Medium).ok()?;
    let modules = code.size();
    let mut path = String::new();
    for y in 0..modules {
        let mut x = 0;
        while x < modules {
            if !code.get_module(x, y) {
                x += 1;
                continue;
            }
            let start = x;
            while x < modules && code.get_module(x, y) {
                x += 1;
            }
            let run = x - start;
            path.push_str(&format!(
                "M{} {}h{run}v1h-{run}z",
                start + QUIET_ZONE,
                y + QUIET_ZONE
            ));
        }
    }
    Some(PhoneQr {
        size: u32::try_from(modules + 2 * QUIET_ZONE).ok()?,
        path,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Draws the path back into pixels (`scale` per module) the way a
    /// screen would, dark = 0, for the decoder.
    fn pixels(svg: &PhoneQr, scale: usize) -> (usize, Vec<u8>) {
        let width = svg.size as usize * scale;
        let mut image = vec![255u8; width * width];
        for rectangle in svg.path.split('z').filter(|r| !r.is_empty()) {
            let numbers: Vec<usize> = rectangle
                .split(['M', ' ', 'h', 'v'])
                .filter(|n| !n.is_empty() && !n.starts_with('-'))
                .map(|n| n.parse().expect("a number"))
                .collect();
            let [x, y, run, one] = numbers[..] else {
                panic!("unexpected path piece {rectangle:?}")
            };
            assert_eq!(one, 1);
            for py in y * scale..(y + 1) * scale {
                for px in x * scale..(x + run) * scale {
                    image[py * width + px] = 0;
                }
            }
        }
        (width, image)
    }

    fn decode(svg: &PhoneQr) -> String {
        let (width, image) = pixels(svg, 4);
        let mut prepared =
            rqrr::PreparedImage::prepare_from_greyscale(width, width, |x, y| image[y * width + x]);
        let grids = prepared.detect_grids();
        assert_eq!(grids.len(), 1, "exactly one code in the picture");
        grids[0].decode().expect("a readable code").1
    }

    #[test]
    fn a_phone_reads_back_the_link() {
        for link in [
            "acme-health://connect/apple_health",
            "https://app.example.com/healthlink/connect?source=health_connect&from=widget",
        ] {
            let svg = qr_svg(link).expect("fits");
            assert_eq!(decode(&svg), link);
            assert_eq!(
                (svg.size as i32 - 2 * QUIET_ZONE - 17) % 4,
                0,
                "a QR version size"
            );
        }
    }

    #[test]
    fn the_quiet_zone_stays_light() {
        let svg = qr_svg("acme://x").unwrap();
        let (width, image) = pixels(&svg, 1);
        for i in 0..width {
            for (x, y) in [(i, 0), (0, i), (i, width - 1), (width - 1, i)] {
                assert_eq!(image[y * width + x], 255, "({x},{y}) is dark");
            }
        }
    }

    #[test]
    fn text_too_long_for_a_qr_code_is_refused() {
        assert_eq!(qr_svg(&"a".repeat(5000)), None);
    }
}
