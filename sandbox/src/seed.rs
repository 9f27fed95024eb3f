//! A deterministic, realistic org: the same `(users, seed, workspaces, epoch)` always
//! gives the same people, roles, workspaces and channels.

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};

use rand::{Rng, SeedableRng, seq::IndexedRandom};
use rand_chacha::ChaCha8Rng;

use crate::org::{Channel, GuestKind, Membership, Org, OrgRole, Presence, Team, TeamRole, User};

/// What to seed.
#[derive(Debug, Clone)]
pub struct SeedSpec {
    pub users: usize,
    pub seed: u64,
    pub workspaces: usize,
    /// Seeded dates are relative to this moment (Unix seconds).
    pub epoch: i64,
}

/// (as written, ASCII form for usernames and emails)
const FIRST_NAMES: &[(&str, &str)] = &[
    ("Ada", "ada"),
    ("Aiko", "aiko"),
    ("Alejandro", "alejandro"),
    ("Amara", "amara"),
    ("Amélie", "amelie"),
    ("Anders", "anders"),
    ("Ananya", "ananya"),
    ("Arjun", "arjun"),
    ("Beatriz", "beatriz"),
    ("Benedikt", "benedikt"),
    ("Bongani", "bongani"),
    ("Caio", "caio"),
    ("Camille", "camille"),
    ("Chen", "chen"),
    ("Chiara", "chiara"),
    ("Chloé", "chloe"),
    ("Dalia", "dalia"),
    ("Daniel", "daniel"),
    ("Dmitri", "dmitri"),
    ("Elena", "elena"),
    ("Emeka", "emeka"),
    ("Emma", "emma"),
    ("Farah", "farah"),
    ("Felipe", "felipe"),
    ("Freya", "freya"),
    ("Gabriel", "gabriel"),
    ("Grace", "grace"),
    ("Hana", "hana"),
    ("Hannah", "hannah"),
    ("Hiroshi", "hiroshi"),
    ("Ibrahim", "ibrahim"),
    ("Ines", "ines"),
    ("Isabel", "isabel"),
    ("Ivan", "ivan"),
    ("Jamal", "jamal"),
    ("Javier", "javier"),
    ("Ji-woo", "jiwoo"),
    ("Johan", "johan"),
    ("José", "jose"),
    ("Julia", "julia"),
    ("Kai", "kai"),
    ("Kamala", "kamala"),
    ("Kenji", "kenji"),
    ("Kofi", "kofi"),
    ("Lars", "lars"),
    ("Layla", "layla"),
    ("Leila", "leila"),
    ("Liam", "liam"),
    ("Lucía", "lucia"),
    ("Łukasz", "lukasz"),
    ("Maja", "maja"),
    ("Malik", "malik"),
    ("Maria", "maria"),
    ("Mateo", "mateo"),
    ("Mei", "mei"),
    ("Mohammed", "mohammed"),
    ("Nadia", "nadia"),
    ("Naomi", "naomi"),
    ("Nikhil", "nikhil"),
    ("Noah", "noah"),
    ("Nour", "nour"),
    ("Olga", "olga"),
    ("Omar", "omar"),
    ("Oskar", "oskar"),
    ("Paulo", "paulo"),
    ("Priya", "priya"),
    ("Rafael", "rafael"),
    ("Rania", "rania"),
    ("Ravi", "ravi"),
    ("Renée", "renee"),
    ("Rohan", "rohan"),
    ("Rosa", "rosa"),
    ("Sakura", "sakura"),
    ("Samir", "samir"),
    ("Sara", "sara"),
    ("Sebastián", "sebastian"),
    ("Siobhán", "siobhan"),
    ("Søren", "soren"),
    ("Sofia", "sofia"),
    ("Tariq", "tariq"),
    ("Thabo", "thabo"),
    ("Theo", "theo"),
    ("Tomás", "tomas"),
    ("Uma", "uma"),
    ("Valentina", "valentina"),
    ("Wei", "wei"),
    ("Xin", "xin"),
    ("Yara", "yara"),
    ("Yusuf", "yusuf"),
    ("Zanele", "zanele"),
    ("Zoë", "zoe"),
    ("Zygmunt", "zygmunt"),
];

const LAST_NAMES: &[(&str, &str)] = &[
    ("Abebe", "abebe"),
    ("Adeyemi", "adeyemi"),
    ("Álvarez", "alvarez"),
    ("Andersson", "andersson"),
    ("Bauer", "bauer"),
    ("Bianchi", "bianchi"),
    ("Brennan", "brennan"),
    ("Castillo", "castillo"),
    ("Chen", "chen"),
    ("Costa", "costa"),
    ("Dubois", "dubois"),
    ("Dvořák", "dvorak"),
    ("Eriksen", "eriksen"),
    ("Fernández", "fernandez"),
    ("Fischer", "fischer"),
    ("Fujita", "fujita"),
    ("García", "garcia"),
    ("Gupta", "gupta"),
    ("Haddad", "haddad"),
    ("Hansen", "hansen"),
    ("Hernández", "hernandez"),
    ("Ito", "ito"),
    ("Ivanova", "ivanova"),
    ("Jansen", "jansen"),
    ("Johnson", "johnson"),
    ("Kang", "kang"),
    ("Kapoor", "kapoor"),
    ("Kim", "kim"),
    ("Kowalski", "kowalski"),
    ("Kumar", "kumar"),
    ("Larsen", "larsen"),
    ("Lee", "lee"),
    ("Lindqvist", "lindqvist"),
    ("López", "lopez"),
    ("Mahlangu", "mahlangu"),
    ("Martin", "martin"),
    ("Mensah", "mensah"),
    ("Moreau", "moreau"),
    ("Müller", "muller"),
    ("Nakamura", "nakamura"),
    ("Nguyen", "nguyen"),
    ("Novak", "novak"),
    ("Nowak", "nowak"),
    ("Okafor", "okafor"),
    ("Okoye", "okoye"),
    ("O'Brien", "obrien"),
    ("Olsen", "olsen"),
    ("Park", "park"),
    ("Patel", "patel"),
    ("Pereira", "pereira"),
    ("Petrov", "petrov"),
    ("Quispe", "quispe"),
    ("Rahman", "rahman"),
    ("Reyes", "reyes"),
    ("Rossi", "rossi"),
    ("Sato", "sato"),
    ("Schmidt", "schmidt"),
    ("Silva", "silva"),
    ("Singh", "singh"),
    ("Smith", "smith"),
    ("Søndergaard", "sondergaard"),
    ("Suzuki", "suzuki"),
    ("Tanaka", "tanaka"),
    ("Taylor", "taylor"),
    ("Thompson", "thompson"),
    ("Torres", "torres"),
    ("Tran", "tran"),
    ("Van Dijk", "vandijk"),
    ("Vargas", "vargas"),
    ("Wang", "wang"),
    ("Weber", "weber"),
    ("Williams", "williams"),
    ("Wójcik", "wojcik"),
    ("Yamamoto", "yamamoto"),
    ("Yilmaz", "yilmaz"),
    ("Zhang", "zhang"),
];

const TITLES: &[&str] = &[
    "Software Engineer",
    "Senior Software Engineer",
    "Staff Engineer",
    "Engineering Manager",
    "Product Manager",
    "Product Designer",
    "Data Scientist",
    "Data Engineer",
    "Site Reliability Engineer",
    "Security Engineer",
    "Account Executive",
    "Sales Development Rep",
    "Customer Success Manager",
    "Support Specialist",
    "Technical Writer",
    "Recruiter",
    "People Partner",
    "Finance Analyst",
    "Legal Counsel",
    "Marketing Manager",
    "Content Strategist",
    "IT Administrator",
    "Office Manager",
    "QA Engineer",
    "Solutions Architect",
    "",
];

const TIMEZONES: &[(&str, &str, i64)] = &[
    ("America/Los_Angeles", "Pacific Standard Time", -28800),
    ("America/Denver", "Mountain Standard Time", -25200),
    ("America/Chicago", "Central Standard Time", -21600),
    ("America/New_York", "Eastern Standard Time", -18000),
    ("America/Sao_Paulo", "Brasilia Standard Time", -10800),
    ("Europe/London", "Greenwich Mean Time", 0),
    ("Europe/Berlin", "Central European Time", 3600),
    ("Europe/Warsaw", "Central European Time", 3600),
    ("Africa/Lagos", "West Africa Time", 3600),
    ("Africa/Johannesburg", "South Africa Standard Time", 7200),
    ("Asia/Kolkata", "India Standard Time", 19800),
    ("Asia/Singapore", "Singapore Standard Time", 28800),
    ("Asia/Tokyo", "Japan Standard Time", 32400),
    (
        "Australia/Sydney",
        "Australian Eastern Daylight Time",
        39600,
    ),
];

const WORKSPACES: &[(&str, &str)] = &[
    ("Larkspur HQ", "larkspur-hq"),
    ("Larkspur Engineering", "larkspur-eng"),
    ("Larkspur Sales & Support", "larkspur-sales"),
    ("Larkspur Research", "larkspur-research"),
    ("Larkspur Partners", "larkspur-partners"),
    ("Larkspur EMEA", "larkspur-emea"),
    ("Larkspur APAC", "larkspur-apac"),
    ("Larkspur Labs Sandbox", "larkspur-sandbox"),
];

const CHANNEL_NAMES: &[&str] = &[
    "general",
    "random",
    "announcements",
    "help-it",
    "help-desk",
    "watercooler",
    "design",
    "eng-platform",
    "eng-frontend",
    "eng-backend",
    "eng-infra",
    "incidents",
    "deploys",
    "releases",
    "product",
    "roadmap",
    "sales",
    "sales-emea",
    "sales-apac",
    "support",
    "support-escalations",
    "customer-feedback",
    "marketing",
    "events",
    "people",
    "recruiting",
    "finance",
    "legal",
    "security",
    "data",
    "analytics",
    "partners",
    "onboarding",
    "offboarding",
    "travel",
    "facilities",
    "social",
    "pets",
    "books",
    "music",
];

const GUEST_DOMAINS: &[&str] = &["contractor.example", "agency.example", "partner.example"];
const ORG_DOMAIN: &str = "larkspur.example";
const BOT_NAMES: &[&str] = &[
    "Deploy Bot",
    "Standup Bot",
    "Incident Bot",
    "Calendar Bot",
    "Polly",
    "Jira Cloud",
    "GitHub",
    "PagerDuty",
    "Google Drive",
    "Zoom",
];
const COLORS: &[&str] = &[
    "9f69e7", "4bbe2e", "e7392d", "3c989f", "e0a729", "674b1b", "5b89d5",
];

const DAY: i64 = 86_400;

/// Builds the org described by `spec`.
pub fn seed_org(spec: &SeedSpec) -> Org {
    let mut rng = ChaCha8Rng::seed_from_u64(spec.seed);
    let mut ids = IdMint::default();
    let workspaces = spec.workspaces.clamp(1, WORKSPACES.len());
    let epoch = spec.epoch;

    let enterprise_id = ids.mint(&mut rng, 'E');
    let teams: Vec<Team> = WORKSPACES[..workspaces]
        .iter()
        .map(|(name, domain)| Team {
            id: ids.mint(&mut rng, 'T'),
            name: (*name).to_string(),
            domain: (*domain).to_string(),
            discoverability: "open",
        })
        .collect();

    let mut channels = BTreeMap::new();
    let mut team_channels: HashMap<String, Vec<String>> = HashMap::new();
    for (ti, team) in teams.iter().enumerate() {
        // Every workspace has the basics; the rest vary per workspace.
        let count = 18 + (ti * 7) % 16;
        for (ci, name) in CHANNEL_NAMES.iter().take(count).enumerate() {
            let id = ids.mint(&mut rng, 'C');
            let is_private = ci > 6 && rng.random_bool(0.2);
            channels.insert(
                id.clone(),
                Channel {
                    id: id.clone(),
                    team_id: team.id.clone(),
                    name: (*name).to_string(),
                    is_private,
                    is_archived: ci > 10 && rng.random_bool(0.05),
                    created: epoch - rng.random_range(200..2_500) * DAY,
                    creator: String::new(),
                    topic: String::new(),
                    purpose: format!("{} for {}", name.replace('-', " "), team.name),
                },
            );
            team_channels.entry(team.id.clone()).or_default().push(id);
        }
    }

    let mut org = Org {
        enterprise_id,
        name: "Larkspur Labs".to_string(),
        domain: "larkspur".to_string(),
        teams,
        users: BTreeMap::new(),
        by_email: HashMap::new(),
        channels,
        epoch,
        rng: ChaCha8Rng::seed_from_u64(spec.seed ^ 0x05EE_D1D5),
        outbox: Vec::new(),
    };

    let mut emails: HashSet<String> = HashSet::new();
    for i in 0..spec.users {
        let user = seed_user(i, &mut rng, &mut ids, &mut emails, &org, &team_channels);
        org.insert_user(user);
    }
    // The primary owner created the channels.
    if let Some(owner) = org.primary_owner().map(|u| u.id.clone()) {
        for c in org.channels.values_mut() {
            c.creator = owner.clone();
        }
    }
    org
}

fn seed_user(
    i: usize,
    rng: &mut ChaCha8Rng,
    ids: &mut IdMint,
    emails: &mut HashSet<String>,
    org: &Org,
    team_channels: &HashMap<String, Vec<String>>,
) -> User {
    let epoch = org.epoch;
    let id = ids.mint(rng, 'W');
    let roll: f64 = rng.random();
    // The first account is the primary owner; then a realistic mix.
    let (is_bot, org_role, guest) = if i == 0 {
        (false, OrgRole::PrimaryOwner, None)
    } else if roll < 0.02 {
        (true, OrgRole::Regular, None)
    } else if roll < 0.025 {
        (false, OrgRole::Owner, None)
    } else if roll < 0.035 {
        (false, OrgRole::Admin, None)
    } else if roll < 0.095 {
        (false, OrgRole::Regular, Some(GuestKind::MultiChannel))
    } else if roll < 0.135 {
        (false, OrgRole::Regular, Some(GuestKind::SingleChannel))
    } else {
        (false, OrgRole::Regular, None)
    };

    let (first, first_ascii) = *FIRST_NAMES.choose(rng).unwrap();
    let (last, last_ascii) = *LAST_NAMES.choose(rng).unwrap();
    let (full_name, username, email) = if is_bot {
        let name = BOT_NAMES[i % BOT_NAMES.len()];
        let n = i / BOT_NAMES.len();
        let base = name.to_lowercase().replace(' ', "-");
        let username = if n == 0 { base } else { format!("{base}-{n}") };
        (name.to_string(), username, String::new())
    } else {
        let domain = if guest.is_some() {
            GUEST_DOMAINS.choose(rng).unwrap()
        } else {
            ORG_DOMAIN
        };
        let base = format!("{first_ascii}.{last_ascii}");
        let mut local = base.clone();
        let mut n = 2;
        while !emails.insert(format!("{local}@{domain}")) {
            local = format!("{base}{n}");
            n += 1;
        }
        (
            format!("{first} {last}"),
            local.clone(),
            format!("{local}@{domain}"),
        )
    };

    // Workspaces: members spread over one to all; single-channel guests get one.
    let team_ids: Vec<&str> = org.teams.iter().map(|t| t.id.as_str()).collect();
    let mut chosen: BTreeSet<&str> = BTreeSet::new();
    if org_role >= OrgRole::Owner {
        chosen.extend(team_ids.iter().copied());
    } else {
        let want = match guest {
            Some(GuestKind::SingleChannel) => 1,
            Some(GuestKind::MultiChannel) => rng.random_range(1..=2.min(team_ids.len())),
            None => rng.random_range(1..=team_ids.len()),
        };
        // The first workspace is the company-wide one most people are on.
        if guest.is_none() && rng.random_bool(0.8) {
            chosen.insert(team_ids[0]);
        }
        while chosen.len() < want {
            chosen.insert(team_ids.choose(rng).unwrap());
        }
    }

    let mut memberships = BTreeMap::new();
    for team in chosen {
        let chans = &team_channels[team];
        let channels: Vec<String> = match guest {
            Some(GuestKind::SingleChannel) => vec![chans.choose(rng).unwrap().clone()],
            Some(GuestKind::MultiChannel) => {
                let n = rng.random_range(2..=4);
                chans.choose_multiple(rng, n).cloned().collect()
            }
            // Everyone is in #general and #random, plus a handful of others.
            None => {
                let n = rng.random_range(1..=6);
                let mut c: Vec<String> = chans[..2].to_vec();
                c.extend(chans[2..].choose_multiple(rng, n).cloned());
                c
            }
        };
        let role = if org_role == OrgRole::Regular && guest.is_none() && !is_bot {
            match rng.random_range(0..100) {
                0 => TeamRole::Owner,
                1..=3 => TeamRole::Admin,
                _ => TeamRole::Regular,
            }
        } else {
            TeamRole::Regular
        };
        let expiration_ts = if guest.is_some() && rng.random_bool(0.45) {
            // Expirations fall on the hour, between tomorrow and six months out.
            let days = rng.random_range(1..180);
            (epoch / 3600) * 3600 + days * DAY
        } else {
            0
        };
        memberships.insert(
            team.to_string(),
            Membership {
                role,
                active: true,
                expiration_ts,
                channels,
            },
        );
    }

    let date_created = epoch - rng.random_range(1..2_800) * DAY - rng.random_range(0..DAY);
    let humans_only = !is_bot && org_role < OrgRole::Owner;
    let deactivated_ts = if humans_only && rng.random_bool(0.06) {
        let since = ((epoch - date_created) / DAY).max(2);
        epoch - rng.random_range(1..since) * DAY
    } else {
        0
    };
    let invited = humans_only && deactivated_ts == 0 && rng.random_bool(0.015);
    let (tz, tz_label, tz_offset) = *TIMEZONES.choose(rng).unwrap();
    let has_sso = !is_bot
        && if guest.is_some() {
            rng.random_bool(0.1)
        } else {
            rng.random_bool(0.88)
        };
    let has_2fa = !is_bot && (has_sso || rng.random_bool(0.6));
    let last_activity = if deactivated_ts != 0 {
        deactivated_ts
    } else {
        epoch - rng.random_range(0..30 * DAY)
    };

    User {
        id,
        username,
        display_name: if is_bot {
            full_name.clone()
        } else {
            first.to_string()
        },
        first_name: if is_bot {
            String::new()
        } else {
            first.to_string()
        },
        last_name: if is_bot {
            String::new()
        } else {
            last.to_string()
        },
        full_name,
        email,
        title: if is_bot {
            String::new()
        } else {
            (*TITLES.choose(rng).unwrap()).to_string()
        },
        phone: if is_bot || rng.random_bool(0.6) {
            String::new()
        } else {
            format!("+1 555 01{:02}", rng.random_range(0..100))
        },
        tz: tz.to_string(),
        tz_label: tz_label.to_string(),
        tz_offset,
        color: (*COLORS.choose(rng).unwrap()).to_string(),
        avatar_hash: format!("{:012x}", rng.random::<u64>() & 0xffff_ffff_ffff),
        is_bot,
        is_app_user: false,
        org_role,
        guest,
        memberships,
        deactivated_ts,
        invited,
        has_2fa,
        has_sso,
        date_created,
        updated: date_created.max(deactivated_ts),
        presence: if deactivated_ts == 0 && rng.random_bool(0.45) {
            Presence::Active
        } else {
            Presence::Away
        },
        last_activity,
        locale: "en-US".to_string(),
    }
}

/// Mints unique Slack-style IDs: a kind letter and 8 upper-case base-36 characters.
#[derive(Debug, Default)]
pub struct IdMint {
    seen: HashSet<String>,
}

impl IdMint {
    /// A fresh ID starting with `kind` (`W`, `T`, `C`, `E`).
    pub fn mint(&mut self, rng: &mut impl Rng, kind: char) -> String {
        const ALPHABET: &[u8] = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ";
        loop {
            let mut id = String::with_capacity(9);
            id.push(kind);
            // Slack IDs start with a digit after the kind letter (W0L3P31SP).
            id.push(char::from(b'0' + rng.random_range(0..10u8)));
            for _ in 0..7 {
                id.push(char::from(ALPHABET[rng.random_range(0..ALPHABET.len())]));
            }
            if self.seen.insert(id.clone()) {
                return id;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spec(users: usize, seed: u64) -> SeedSpec {
        SeedSpec {
            users,
            seed,
            workspaces: 3,
            epoch: 1_790_000_000,
        }
    }

    #[test]
    fn same_spec_gives_the_same_org() {
        let a = seed_org(&spec(500, 7));
        let b = seed_org(&spec(500, 7));
        assert_eq!(a.users, b.users);
        assert_eq!(a.teams, b.teams);
        let c = seed_org(&spec(500, 8));
        assert_ne!(
            a.users, c.users,
            "a different seed must give a different org"
        );
    }

    #[test]
    fn seeded_org_has_the_mix_roster_needs() {
        let org = seed_org(&spec(1_000, 1));
        assert_eq!(org.users.len(), 1_000);
        assert_eq!(org.teams.len(), 3);
        let count = |f: &dyn Fn(&User) -> bool| org.users.values().filter(|u| f(u)).count();
        assert_eq!(count(&|u| u.org_role == OrgRole::PrimaryOwner), 1);
        assert!(count(&|u| u.org_role == OrgRole::Owner) >= 1);
        assert!(count(&|u| u.org_role == OrgRole::Admin) >= 3);
        assert!(count(&|u| u.guest == Some(GuestKind::MultiChannel)) >= 20);
        assert!(count(&|u| u.guest == Some(GuestKind::SingleChannel)) >= 10);
        assert!(count(&|u| u.is_bot) >= 5);
        assert!(count(&|u| u.is_deactivated()) >= 20);
        assert!(count(&|u| u.invited) >= 3);
        assert!(count(&|u| u.guest.is_some() && u.expiration_on(None) > 0) >= 5);
        assert!(count(&|u| !u.has_2fa && !u.is_bot) >= 20);
        // Single-channel guests are on exactly one workspace, in exactly one channel.
        for u in org
            .users
            .values()
            .filter(|u| u.guest == Some(GuestKind::SingleChannel))
        {
            assert_eq!(u.memberships.len(), 1, "{}", u.id);
            assert_eq!(u.memberships.values().next().unwrap().channels.len(), 1);
        }
        // Emails are unique and indexed.
        let humans = count(&|u| !u.is_bot);
        assert_eq!(org.by_email.len(), humans);
    }

    #[test]
    fn ids_look_like_slack_ids() {
        let org = seed_org(&spec(50, 3));
        for id in org.users.keys() {
            assert_eq!(id.len(), 9);
            assert!(id.starts_with('W'));
            assert!(
                id.chars()
                    .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit())
            );
        }
        assert!(org.enterprise_id.starts_with('E'));
        assert!(org.teams.iter().all(|t| t.id.starts_with('T')));
    }
}
