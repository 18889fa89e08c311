/**
 * **Dev data now (2026-12-04).** This set was written as a held-out set, but its miss categories (and,
 * for prompt injection, its measured misses) guided later tuning, so it no longer gives an out-of-sample
 * figure: it is scored with the development sets. The held-out sets are
 * `heldout_2026_injection_data.ts` and `heldout_2026_secrets_data.ts`.
 *
 * Held-out PII set: written after the detectors were tuned, never used to tune
 * them, and scored by `tests/policy/heldout_metrics_test.ts` (not by the
 * in-sample corpus test). Domains differ from `pii_data.ts`: support tickets,
 * medical intake notes, HR mail, chat logs, code comments, CSV-like lines and
 * log lines. Labels are what a careful human would call PII of each entity
 * type, not what the scanner currently finds. Scored with `healthcare_mode`
 * off, so MRNs and NPIs in the intake notes are deliberately not labelled.
 *
 * Checksums of the card numbers (Luhn) and IBANs (mod-97) were verified when
 * the set was written, so positives are valid and "bad checksum" controls are
 * really invalid. Same shape as `pii_data.ts`: `[text, expected findings]`.
 *
 * Do not edit labels to match the detector: add new cases instead.
 *
 * @module
 */
import type { PiiCase } from "./pii_data.ts";

/** Positive cases: entities embedded in realistic text. */
export const HELDOUT_PII_POSITIVE: PiiCase[] = [
  // support tickets
  [
    "Ticket #88213 — Customer says the reset link never arrives at priya.raman+shop@fastmail.com. Please resend.",
    { email: 1 },
  ],
  [
    "Escalation: caller gave callback number +1 (646) 555-0187 ext. 42, wants a manager before 5pm EST.",
    { phone: 1 },
  ],
  ["Customer (ESTEBAN.ORTIZ@CORREO.EXAMPLE.MX) disputes the charge on card ending 4242 4242 4242 4242.", {
    email: 1,
    credit_card: 1,
  }],
  [
    "Refund approved. Original payment: Amex 3714 496353 98431. Notify the agent at ops-refunds@eu.support.example.com.",
    {
      credit_card: 1,
      email: 1,
    },
  ],
  [
    "User reports lockout; last successful login from 81.2.69.160, failed attempts from 2a02:c7f:8e5c:8f00::1.",
    {
      ipv4: 1,
      ipv6: 1,
    },
  ],
  ["Hola, me cobraron dos veces. Mi teléfono es +34 912 345 678 y mi correo lucia.fdez@correo.example.es.", {
    phone: 1,
    email: 1,
  }],
  ["The customer paid with Discover 6011-0009-9013-9424 and asked for a receipt by SMS to 07911 123456.", {
    credit_card: 1,
    phone: 1,
  }],
  // medical intake notes (healthcare_mode off: MRN / NPI not labelled)
  [
    "Intake 03/04: pt. Marguerite Lalonde, MRN 00482913, preferred contact (514) 555-0163, email m.lalonde@videotron.example.ca.",
    { phone: 1, email: 1 },
  ],
  [
    "New patient form — SSN 287-65-4321, insurance card on file, emergency contact daughter at 617.555.0122.",
    { ssn: 1, phone: 1 },
  ],
  [
    "Allergies: penicillin. Pharmacy fax: +1 312 555 0175. Patient portal login: rhernandez77@yahoo.example.com.",
    {
      phone: 1,
      email: 1,
    },
  ],
  ["Copay of $40 charged to MC 5200 8282 8282 8210; patient declined to store the card.", { credit_card: 1 }],
  ["Referred by Dr. Okafor (NPI 1245319599). Pt reachable on +44 7700 900 982 while in the UK.", {
    phone: 1,
  }],
  // HR emails
  [
    "Hi Sam, for payroll please confirm your SSN (431-56-7890) and the IBAN for salary: NL02 ABNA 0123 4567 89. Thanks, HR",
    { ssn: 1, iban: 1 },
  ],
  [
    "Welcome aboard! Your manager is Keiko Sato (keiko.sato@hr.corp.example.co.jp, 03-1234-5678). See you Monday.",
    { email: 1, phone: 1 },
  ],
  ["Relocation allowance will be paid to FR76 3000 6000 0112 3456 7890 189 once the lease is signed.", {
    iban: 1,
  }],
  ["Reminder: please send your social security number 372849165 to benefits so enrollment can complete.", {
    ssn: 1,
  }],
  ["Expense reimbursement: IBAN DE44500105175407324931, BIC COBADEFFXXX, reference Q3-travel.", { iban: 1 }],
  ["The candidate's references: Tomás Silva, +351 21 123 4567, and Ana Costa, +351 912 345 678.", {
    phone: 2,
  }],
  ["Salary account for the Stockholm hire: SE45 5000 0000 0583 9825 7466.", { iban: 1 }],
  [
    "Please pay the contractor's final invoice to IE29 AIBK 9311 5212 3456 78 and email remit@contractor.example.ie.",
    {
      iban: 1,
      email: 1,
    },
  ],
  // chat logs
  ["[10:42] dana: my new number is 0412 345 678 btw\n[10:43] lee: saved!", { phone: 1 }],
  ["<mike> just msg me on +49 151 23456789 or mike.b@posteo.example.de</mike>", { phone: 1, email: 1 }],
  ["jules: can u venmo me? or wire it to BE71 0961 2345 6769 lol", { iban: 1 }],
  ["user123: my card 4539148803436467 keeps getting declined on your site!!", { credit_card: 1 }],
  ["Reach me on WhatsApp +55 11 91234-5678, I'm in São Paulo this week.", { phone: 1 }],
  ["support-bot: Please confirm the last email on your account. user: It's KIM.J@SUB.MAIL.EXAMPLE.ORG", {
    email: 1,
  }],
  ["Call my office in Mumbai +91-22-2345-6789 or my Delhi cell 98101 23456.", { phone: 2 }],
  // code comments and config snippets
  ["// TODO(alex.m@devshop.example.io): remove hardcoded test IP 198.51.100.14 before release", {
    email: 1,
    ipv4: 1,
  }],
  ["# maintainer: Olga Petrova <olga.petrova@mail.example.ru>, on-call +7 495 123-45-67", {
    email: 1,
    phone: 1,
  }],
  ['const FALLBACK_DNS = ["2606:4700:4700::1111", "9.9.9.9"]; // user-configured resolvers', {
    ipv6: 1,
    ipv4: 1,
  }],
  ["/* customer sample: card=3400 000000 00009 iban=ES7921000813610123456789 */", {
    credit_card: 1,
    iban: 1,
  }],
  ['listen_addr = "[fe80::a00:27ff:fe4e:66a1]:8080"  # home lab box', { ipv6: 1 }],
  // CSV-like lines and log lines
  ["id,name,email,phone\n1041,Hana Novak,hana.novak@seznam.example.cz,+420 601 123 456", {
    email: 1,
    phone: 1,
  }],
  ["2024-06-01T12:03:55Z INFO login ok user=ravi@corp.example.in src=10.20.30.40", { email: 1, ipv4: 1 }],
  ["employee_id;iban;ssn\nE-7781;CZ65 0800 0000 1920 0014 5399;219-09-9999", { iban: 1, ssn: 1 }],
  ["name|card|exp\nL. Moreau|4917 4845 8989 7107|09/28", { credit_card: 1 }],
  ['{"event":"signup","ip":"203.0.113.77","email":"noah.w+test@gmail.example.com"}', { ipv4: 1, email: 1 }],
  ["payee,iban\nNordic Fisk AS,NO93 8601 1117 947\nDansk Byg ApS,DK50 0040 0440 1162 43", { iban: 2 }],
  // mixed prose, other formats
  ["Our Sydney office is (02) 9374 4000 and Auckland is +64 9 123 4567.", { phone: 2 }],
  ["Kontakt: +43 1 234 56 78 (Wien), Zahlung auf AT61 1904 3002 3457 3201.", { phone: 1, iban: 1 }],
  ["For Mexico call +52 55 1234 5678; for South Africa +27 21 123 4567.", { phone: 2 }],
  ["Diners Club 3852 000002 3237 and Discover 6510000000000026 were both on the stolen list.", {
    credit_card: 2,
  }],
  ["Wire details: SA03 8000 0000 6080 1016 7519 (Riyadh) and AE070331234567890123456 (Dubai).", { iban: 2 }],
  ["Please call 555-867-5309 x204 and ask for Jenny.", { phone: 1 }],
  ["His SSN, 078 05 1120, appears on the scanned W-2.", { ssn: 1 }],
];

/** Negative controls: nothing here is personal data (or it fails validation). */
export const HELDOUT_PII_NEGATIVE: PiiCase[] = [
  ["Order #2024-118-4471 shipped on 2024-06-03 and should arrive by 06/07/2024.", {}],
  ["USPS tracking 9400 1000 0000 0000 0000 00 shows 'In transit'.", {}],
  ["FedEx tracking 7489 4567 1234 was delivered to the loading dock.", {}],
  ["Invoice 2024-00045678 is due 30 days net; amount $4,111.11.", {}],
  ["Upgrade Chrome to 124.0.6367.91 and Firefox to 126.0.1.", {}],
  ["Release notes for 3.11.4-rc.2 and 2.0.0-beta.17 are in the wiki.", {}],
  ["The ISBN-13 978-0-306-40615-7 (ISBN-10 0-306-40615-2) is on the copyright page.", {}],
  ["Request id 3f2b9c1e-7a44-4d1b-9e0f-2c6a8b5d1e73 failed with a 502.", {}],
  ["Replacement part 650-123-4567-B fits the tankless heater model WH-3000.", {}],
  ["Card reference 6011 0009 9013 9425 failed validation, it's a typo in the form.", {}],
  ["Test vector 4242 4242 4242 4241 must be rejected by the Luhn check.", {}],
  ["Gift voucher code 5425 2334 3010 9904 — expired, do not honour.", {}],
  ["The IBAN DE44 5001 0517 5407 3249 32 bounced: invalid check digits.", {}],
  ["NL02ABNA0123456780 is a mistyped account; ask the supplier again.", {}],
  ["Prices: 1,299.00 EUR, 2 499 SEK, and ¥158,000 for the Tokyo store.", {}],
  ["The trailhead is at 46.8523, -121.7603; the summit at 46.8529° N, 121.7604° W.", {}],
  ["Standup every weekday 09:15–09:30, retro Friday 16:00, timezone UTC+02:00.", {}],
  ["Shipment weighed 1 234 567 g across 12 pallets (pallet IDs 100-200-300).", {}],
  ["The lottery numbers were 04 11 23 35 42 and the bonus 07.", {}],
  ["Patch Tuesday KB5034441 and build 22631.3007 are required.", {}],
  ["Git commit 9fceb02d0ae598e95dc970b74767f19372d61af8 reverted the change.", {}],
  ["ZIP+4 94105-1234 covers the office block; sort code 20-00-00 is a placeholder.", {}],
  ["The SSN field must match NNN-NN-NNNN; we only store the last four (6789).", {}],
  ["Part numbers 212-555-01 and 212-555-02 ship together.", {}],
  ["Quarterly revenue grew 14.5% to 3.2 million; margin 41.7%.", {}],
  ["Set max_connections=500, shared_buffers=4GB and work_mem=64MB.", {}],
  ["Color palette: #1E90FF, #FF6347 and rgb(34, 139, 34).", {}],
  ["Room booking 2024-07-15 13:00-14:30, building 4, floor 12, desk 12-044.", {}],
  ["Email the team when the build is green; addresses are in the wiki.", {}],
  ["Decorators like @dataclass and @property are common in Python.", {}],
  ["Matrix dims 1920x1080, 3840x2160; fps 59.94.", {}],
  ["Docker image sha256:2cf1e0c7b3b0a9d1 pulled; tag v1.27.3.", {}],
  ["Our customer count went from 1 555 010 to 1 601 442 this year.", {}],
];
