//! A deterministic, realistic org: the same `(users, seed, workspaces, epoch)` always
//! gives the same people, roles, workspaces and channels.

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};

use rand::{
    Rng, SeedableRng,
    seq::{IndexedRandom, SliceRandom},
};
use rand_chacha::ChaCha8Rng;

use crate::org::{
    Channel, ClientInfo, Device, GuestKind, InviteRequest, InviteRequestState, InviteType,
    Membership, Org, OrgRole, Presence, Session, Team, TeamRole, User,
};

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
        sessions: BTreeMap::new(),
        session_settings: BTreeMap::new(),
        session_jobs: Vec::new(),
        invite_requests: BTreeMap::new(),
        app_teams: None,
        analytics: Default::default(),
        touched: BTreeMap::new(),
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
    // Sessions and invite requests come from their own stream, so adding them left every
    // user, ID and channel above as it was.
    let mut rng = ChaCha8Rng::seed_from_u64(spec.seed ^ 0x5E55_10A5);
    seed_sessions(&mut org, &mut rng);
    seed_invite_requests(&mut org, &mut rng, spec.users);
    // The seeded org is where events start from, not a change.
    org.touched.clear();
    org
}

/// (device_hardware, os, os_version, slack_client_version) per kind of device; web
/// sessions carry the browser's version.
const WEB_CLIENTS: &[(&str, &str, &str, &str)] = &[
    ("Intel", "OS X", "10.15.7", "124.0.6367.91"),
    ("Apple M2", "OS X", "14.4.1", "17.4.1"),
    ("x86_64", "Windows", "10.0", "123.0.2420.97"),
    ("x86_64", "Linux", "6.5", "125.0"),
];
const DESKTOP_CLIENTS: &[(&str, &str, &str, &str)] = &[
    ("Apple M1", "OS X", "14.4.1", "4.38.125"),
    ("Intel", "OS X", "13.6.6", "4.37.101"),
    ("x86_64", "Windows", "10.0.22631", "4.38.125"),
    ("x86_64", "Linux", "6.5.0", "4.36.140"),
];
const MOBILE_CLIENTS: &[(&str, &str, &str, &str)] = &[
    ("iPhone15,3", "iOS", "17.4.1", "24.04.10"),
    ("iPhone14,2", "iOS", "16.7.7", "24.03.20"),
    ("Pixel 8", "Android", "14", "24.04.10.0"),
    ("SM-S918B", "Android", "14", "24.03.30.0"),
];

fn client(rng: &mut ChaCha8Rng, device: Device) -> ClientInfo {
    let table = match device {
        Device::Web => WEB_CLIENTS,
        Device::Desktop => DESKTOP_CLIENTS,
        Device::Mobile => MOBILE_CLIENTS,
    };
    let (device_hardware, os, os_version, slack_client_version) = *table.choose(rng).unwrap();
    // Addresses from the documentation ranges (RFC 5737).
    let net: [u8; 3] = *[[192, 0, 2], [198, 51, 100], [203, 0, 113]]
        .choose(rng)
        .unwrap();
    ClientInfo {
        device_hardware,
        os,
        os_version,
        slack_client_version,
        ip: [net[0], net[1], net[2], rng.random_range(1..255)],
    }
}

/// Zero to three sessions (web, desktop, mobile) for every active account that has
/// signed in: not bots, not deactivated, not invitations still pending.
fn seed_sessions(org: &mut Org, rng: &mut ChaCha8Rng) {
    let mut sessions = BTreeMap::new();
    for user in org.users.values() {
        if user.is_bot || user.is_deactivated() || user.invited {
            continue;
        }
        let teams: Vec<&str> = user.active_teams().collect();
        if teams.is_empty() {
            continue;
        }
        let count = match rng.random_range(0..100) {
            0..15 => 0,
            15..50 => 1,
            50..80 => 2,
            _ => 3,
        };
        let mut devices = vec![Device::Web, Device::Desktop, Device::Mobile];
        devices.shuffle(rng);
        for device in devices.into_iter().take(count) {
            let id = loop {
                let id = rng.random_range(1_000_000_000_000..2_000_000_000_000u64);
                if !sessions.contains_key(&id) {
                    break id;
                }
            };
            let created_from = client(rng, device);
            let recent = rng.random_bool(0.4).then(|| ClientInfo {
                ip: client(rng, device).ip,
                ..created_from
            });
            sessions.insert(
                id,
                Session {
                    id,
                    user_id: user.id.clone(),
                    team_id: (*teams.choose(rng).unwrap()).to_string(),
                    device,
                    created: org.epoch - rng.random_range(600..45 * DAY),
                    created_from,
                    recent,
                },
            );
        }
    }
    org.sessions = sessions;
}

const REQUEST_REASONS: &[&str] = &[
    "Starts on the platform team next Monday",
    "Contractor for the Q3 launch",
    "Needs to follow the pilot in the support channels",
    "Agency partner for the rebrand",
    "Helping with the data migration until March",
    "Joins the interview panel for two weeks",
    "New hire in finance",
];

/// Pending invite requests on every workspace (about one per 150 users, 2 to 25 each),
/// and a few denied ones: some ask for channels, some give a reason, some are for guests.
fn seed_invite_requests(org: &mut Org, rng: &mut ChaCha8Rng, users: usize) {
    let pending = (users / 150).clamp(2, 25);
    let denied = (users / 500).clamp(1, 10);
    let mut ids = IdMint::default();
    let mut emails: HashSet<String> = HashSet::new();
    let mut requests = BTreeMap::new();
    for team in &org.teams {
        let members: Vec<&User> = org
            .users
            .values()
            .filter(|u| {
                !u.is_bot
                    && u.guest.is_none()
                    && !u.is_deactivated()
                    && !u.invited
                    && u.memberships.get(&team.id).is_some_and(|m| m.active)
            })
            .collect();
        let admins: Vec<&User> = members
            .iter()
            .copied()
            .filter(|u| u.role_on(Some(&team.id)).0)
            .collect();
        let Some(&first_admin) = admins.first() else {
            continue;
        };
        if members.is_empty() {
            continue;
        }
        let channels: Vec<&str> = org
            .channels
            .values()
            .filter(|c| c.team_id == team.id && !c.is_private && !c.is_archived)
            .map(|c| c.id.as_str())
            .collect();
        for n in 0..pending + denied {
            let invite_type = match rng.random_range(0..10) {
                0..7 => InviteType::FullMember,
                7..9 => InviteType::Restricted,
                _ => InviteType::UltraRestricted,
            };
            let (first, first_ascii) = *FIRST_NAMES.choose(rng).unwrap();
            let (last, last_ascii) = *LAST_NAMES.choose(rng).unwrap();
            let domain = match invite_type {
                InviteType::FullMember => ORG_DOMAIN,
                _ => GUEST_DOMAINS.choose(rng).unwrap(),
            };
            let base = format!("{first_ascii}.{last_ascii}");
            let mut local = base.clone();
            let mut k = 2;
            loop {
                let email = format!("{local}@{domain}");
                if !org.by_email.contains_key(&email) && emails.insert(email) {
                    break;
                }
                local = format!("{base}{k}");
                k += 1;
            }
            let channel_ids: Vec<String> = match invite_type {
                InviteType::UltraRestricted => vec![(*channels.choose(rng).unwrap()).to_string()],
                InviteType::Restricted => {
                    let k = rng.random_range(1..=3);
                    channels
                        .choose_multiple(rng, k)
                        .map(|c| (*c).to_string())
                        .collect()
                }
                InviteType::FullMember if rng.random_bool(0.5) => {
                    let k = rng.random_range(1..=3);
                    channels
                        .choose_multiple(rng, k)
                        .map(|c| (*c).to_string())
                        .collect()
                }
                InviteType::FullMember => Vec::new(),
            };
            let date_created = org.epoch - rng.random_range(3_600..14 * DAY);
            let date_expire = (invite_type != InviteType::FullMember && rng.random_bool(0.5))
                .then(|| (org.epoch / 3600) * 3600 + rng.random_range(7..90) * DAY);
            let real_name = rng.random_bool(0.6).then(|| format!("{first} {last}"));
            let request_reason = rng
                .random_bool(0.5)
                .then(|| (*REQUEST_REASONS.choose(rng).unwrap()).to_string());
            let requester = members.choose(rng).unwrap().id.clone();
            let state = if n < pending {
                InviteRequestState::Pending
            } else {
                InviteRequestState::Denied {
                    by: first_admin.id.clone(),
                    at: (date_created + rng.random_range(600..DAY)).min(org.epoch),
                }
            };
            let id = format!("Ir{}", &ids.mint(rng, 'I')[1..]);
            requests.insert(
                id.clone(),
                InviteRequest {
                    id,
                    team_id: team.id.clone(),
                    email: format!("{local}@{domain}"),
                    date_created,
                    requester_ids: vec![requester],
                    channel_ids,
                    invite_type,
                    real_name,
                    date_expire,
                    request_reason,
                    state,
                },
            );
        }
    }
    org.invite_requests = requests;
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
        secondary_email: String::new(),
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
    fn sessions_and_invite_requests_are_seeded_for_the_demo() {
        let org = seed_org(&spec(1_000, 1));
        let again = seed_org(&spec(1_000, 1));
        assert_eq!(org.sessions, again.sessions);
        assert_eq!(org.invite_requests, again.invite_requests);
        eprintln!(
            "{} sessions, {} invite requests ({} pending)",
            org.sessions.len(),
            org.invite_requests.len(),
            org.invite_requests
                .values()
                .filter(|r| r.is_pending())
                .count()
        );
        // Sessions belong to active, signed-in people, on a workspace they are on.
        for s in org.sessions.values() {
            let u = &org.users[&s.user_id];
            assert!(!u.is_bot && !u.is_deactivated() && !u.invited, "{}", u.id);
            assert!(u.memberships[&s.team_id].active);
            assert!(s.created < org.epoch);
            assert!((1_000_000_000_000..2_000_000_000_000).contains(&s.id));
        }
        let devices: HashSet<_> = org.sessions.values().map(|s| s.device).collect();
        assert_eq!(devices.len(), 3, "web, desktop and mobile sessions");
        // Every workspace has pending requests; some ask for channels, some give a reason.
        for team in &org.teams {
            let on: Vec<_> = org
                .invite_requests
                .values()
                .filter(|r| r.team_id == team.id)
                .collect();
            assert_eq!(on.iter().filter(|r| r.is_pending()).count(), 6);
            assert_eq!(on.iter().filter(|r| !r.is_pending()).count(), 2);
        }
        let requests = || org.invite_requests.values();
        assert!(requests().any(|r| !r.channel_ids.is_empty()));
        assert!(requests().any(|r| r.channel_ids.is_empty()));
        assert!(requests().any(|r| r.request_reason.is_some()));
        assert!(requests().any(|r| r.invite_type != InviteType::FullMember));
        for r in requests() {
            assert!(org.user_by_email(&r.email).is_none(), "{} is new", r.email);
            assert!(r.id.starts_with("Ir") && r.id.len() == 10);
            for c in &r.channel_ids {
                assert_eq!(org.channels[c].team_id, r.team_id);
            }
        }
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
