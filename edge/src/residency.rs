//! Where users' state is stored: `HEALTHLINK_JURISDICTION` pins every
//! Durable Object the edge creates (users, their indexes, the events
//! monitor) to one of Cloudflare's Durable Object jurisdictions.
//!
//! Only stored state is pinned: the Worker itself still runs in the data
//! centre nearest the caller, and reaches the objects from there. The
//! same name is a different object in each jurisdiction, so the setting is
//! chosen before the first user; changing it later starts every user's
//! state afresh (the old objects stay where they were, unread).

/// The setting names no jurisdiction this edge knows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct UnknownJurisdiction;

/// A Durable Object jurisdiction the edge may pin state to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Jurisdiction {
    /// The European Union.
    Eu,
    /// FedRAMP-compliant data centres.
    FedRamp,
    /// FedRAMP High.
    FedRampHigh,
}

impl Jurisdiction {
    pub const ALL: [Self; 3] = [Self::Eu, Self::FedRamp, Self::FedRampHigh];

    /// The name Cloudflare's `namespace.jurisdiction(…)` takes.
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Eu => "eu",
            Self::FedRamp => "fedramp",
            Self::FedRampHigh => "fedramp-high",
        }
    }

    /// The setting as written: `None` for unset or empty (anywhere),
    /// `Err` for a name that is none of [`Self::ALL`].
    pub fn parse(value: Option<&str>) -> Result<Option<Self>, UnknownJurisdiction> {
        match value.map(str::trim) {
            None | Some("") => Ok(None),
            Some(name) => Self::ALL
                .into_iter()
                .find(|jurisdiction| jurisdiction.as_str() == name.to_ascii_lowercase())
                .map(Some)
                .ok_or(UnknownJurisdiction),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_setting_names_a_jurisdiction_or_none() {
        assert_eq!(Jurisdiction::parse(None), Ok(None));
        assert_eq!(Jurisdiction::parse(Some(" ")), Ok(None));
        assert_eq!(Jurisdiction::parse(Some("eu")), Ok(Some(Jurisdiction::Eu)));
        assert_eq!(
            Jurisdiction::parse(Some(" EU ")),
            Ok(Some(Jurisdiction::Eu))
        );
        assert_eq!(
            Jurisdiction::parse(Some("fedramp")),
            Ok(Some(Jurisdiction::FedRamp))
        );
        assert_eq!(
            Jurisdiction::parse(Some("fedramp-high")),
            Ok(Some(Jurisdiction::FedRampHigh))
        );
        for bad in ["europe", "de", "eu,fedramp", "us-east"] {
            assert_eq!(
                Jurisdiction::parse(Some(bad)),
                Err(UnknownJurisdiction),
                "{bad}"
            );
        }
    }
}
