/**
 * Labelled PII corpus: realistic prose with entities in several formats, and
 * negative controls that look numeric but are not personal data. Each entry is
 * `[text, expected findings]` (an empty object = nothing must be found).
 * `build_corpus.ts` writes these as golden cases under `tests/corpus/pii/tests/`.
 *
 * @module
 */

/** One labelled case. */
export type PiiCase = [text: string, findings: Record<string, number>];

/** Positive cases: entities embedded in sentences. */
export const PII_POSITIVE: PiiCase[] = [
  // email
  ["Please forward the contract to maria.lopez@example.com before Friday.", { email: 1 }],
  ["Contact: JOHN_SMITH@corp-mail.com (sales), or support@help.example.org for tickets.", { email: 2 }],
  ["My work address is j.doe+billing@mail.university.edu, personal one is jdoe1984@gmail.com.", { email: 2 }],
  ["Send the draft to anna-marie.o'neil@firm.co.uk and cc legal@firm.co.uk.", { email: 2 }],
  ["You can reach our DPO at privacy@data-protection.eu.", { email: 1 }],
  ["The login failed for user chen.wei@subsidiary.example.cn yesterday at 9am.", { email: 1 }],
  ["Write a polite follow-up to <k.tanaka@example.jp> about the delayed shipment.", { email: 1 }],
  ["Her email (lisa_92@outlook.com) bounced twice.", { email: 1 }],
  ["Reply-To: noreply.alerts@bank-secure.example.net", { email: 1 }],
  ["Invite ops@startup.io and dev.team@startup.io to the retro.", { email: 2 }],
  // phone
  ["Call me at (555) 123-4567 after lunch.", { phone: 1 }],
  ["The clinic's number is 415-555-0132; fax is 415.555.0199.", { phone: 2 }],
  ["My cell: +1 415 555 0132. Office: +1-212-555-0147.", { phone: 2 }],
  ["For the London office dial +44 20 7946 0958 or 020 7946 0958 locally.", { phone: 2 }],
  ["Unser Büro in Berlin erreichen Sie unter +49 30 1234567 oder +49-30-901820.", { phone: 2 }],
  ["Text me on 07700 900123 when you land.", { phone: 1 }],
  ["Reach Pierre at +33 1 42 68 53 00 or +33612345678.", { phone: 2 }],
  ["Our toll-free line is 1-800-555-0199.", { phone: 1 }],
  ["phone number 4155550132 belongs to the on-call engineer", { phone: 1 }],
  ["Customer called from 212 555 0147 complaining about the bill.", { phone: 1 }],
  ["WhatsApp: +91 98765 43210", { phone: 1 }],
  ["Emergency contact: +61 2 9374 4000 (Sydney).", { phone: 1 }],
  ["Please ring 0044 20 7946 0018 if the courier is late.", { phone: 1 }],
  ["The Tokyo desk is +81-3-1234-5678.", { phone: 1 }],
  // ssn
  ["My SSN is 123-45-6789, please fill it in on the W-9.", { ssn: 1 }],
  ["Employee SSN: 219-09-9999; spouse SSN 078-05-1120.", { ssn: 2 }],
  ["social security number 536228726 was entered twice", { ssn: 1 }],
  ["The applicant listed 401 23 4567 as their SSN.", { ssn: 1 }],
  ["Verify identity for Jane Roe, SSN 512-34-8890, DOB 1975-02-14.", { ssn: 1 }],
  // credit cards
  ["Charge the Visa 4111 1111 1111 1111, exp 12/27.", { credit_card: 1 }],
  ["My Mastercard number is 5555-5555-5555-4444.", { credit_card: 1 }],
  ["Amex 3782 822463 10005 was declined at checkout.", { credit_card: 1 }],
  ["Card on file: 6011111111111117 (Discover).", { credit_card: 1 }],
  ["Refund to 4012 8888 8888 1881 please, not the old card.", { credit_card: 1 }],
  ["I used 5105105105105100 for the hotel and 378282246310005 for the flight.", { credit_card: 2 }],
  ["JCB card 3530 1113 3330 0000 shows a pending charge.", { credit_card: 1 }],
  ["Diners 3056 930902 5904 expired last month.", { credit_card: 1 }],
  ["New Mastercard 2223 0031 2200 3222 arrived today.", { credit_card: 1 }],
  ["UnionPay 6200000000000005 for the Shanghai supplier.", { credit_card: 1 }],
  ["Update billing: card 4000-0566-5566-5556, CVV on the back.", { credit_card: 1 }],
  // IBAN
  ["Wire the deposit to DE89 3704 0044 0532 0130 00 by Monday.", { iban: 1 }],
  ["Beneficiary IBAN: GB29NWBK60161331926819", { iban: 1 }],
  ["Use FR14 2004 1010 0505 0001 3M02 606 for the Paris account.", { iban: 1 }],
  ["Mi IBAN es ES9121000418450200051332, gracias.", { iban: 1 }],
  ["Bonifico su IT60X0542811101000000123456 entro venerdì.", { iban: 1 }],
  ["Dutch account NL91 ABNA 0417 1643 00 and Belgian BE68 5390 0754 7034.", { iban: 2 }],
  ["Swiss payroll goes to CH93 0076 2011 6238 5295 7.", { iban: 1 }],
  ["Please pay invoice 443 into AT611904300234573201.", { iban: 1 }],
  ["Polish supplier: PL61 1090 1014 0000 0712 1981 2874", { iban: 1 }],
  ["Transfer to GB82 WEST 1234 5698 7654 32 (reference: rent).", { iban: 1 }],
  // IP addresses
  ["The attack came from 203.0.113.45 and later 198.51.100.7.", { ipv4: 2 }],
  ["My home router is at 192.168.1.1; the NAS is 192.168.1.20.", { ipv4: 2 }],
  ["SSH into 10.0.0.12 and restart nginx.", { ipv4: 1 }],
  ["Block 2001:db8:85a3::8a2e:370:7334 on the firewall.", { ipv6: 1 }],
  ["Her laptop's address was fe80::1ff:fe23:4567:890a during the incident.", { ipv6: 1 }],
  ["Full address 2001:0db8:0000:0000:0000:ff00:0042:8329 appears in the log.", { ipv6: 1 }],
  ["Allow ::1 and 127.0.0.1 only.", { ipv6: 1, ipv4: 1 }],
  ["Client IP 172.16.254.3 made 400 requests in a minute.", { ipv4: 1 }],
  // mixed
  [
    "Hi, I'm Jane Doe (jane.doe@example.com, +1 415 555 0132). My card 4111-1111-1111-1111 was charged twice.",
    { email: 1, phone: 1, credit_card: 1 },
  ],
  [
    "Payroll update: SSN 123-45-6789, IBAN DE89370400440532013000, phone (212) 555-0147.",
    { ssn: 1, iban: 1, phone: 1 },
  ],
  [
    "Login alert for tom@example.org from 198.51.100.23 — if this wasn't you call 1-800-555-0100.",
    { email: 1, ipv4: 1, phone: 1 },
  ],
  [
    "Customer record: name Ali Khan, email ali.khan@example.pk, mobile +92 300 1234567, card 5555 5555 5555 4444.",
    { email: 1, phone: 1, credit_card: 1 },
  ],
  [
    "Please summarise this ticket: 'I (m.rossi@example.it) paid with 4012888888881881 but got charged to IT60 X054 2811 1010 0000 0123 456.'",
    { email: 1, credit_card: 1, iban: 1 },
  ],
  [
    "Draft a letter to the bank: my account GB29 NWBK 6016 1331 9268 19 was debited; call me on 07700 900456.",
    { iban: 1, phone: 1 },
  ],
  [
    "The suspicious login used 203.0.113.9 and the email recovery.team@example.com.",
    { ipv4: 1, email: 1 },
  ],
  // healthcare (healthcare_mode: true)
  ["Patient MRN: 00123456 was admitted on 2024-01-15.", { mrn: 1 }],
  ["Pull the chart for medical record number 7654321 and summarise allergies.", { mrn: 1 }],
  ["MRN-AB123456 needs a follow-up MRI.", { mrn: 1 }],
  ["Referring physician NPI 1234567893, please verify credentials.", { npi: 1 }],
  ["The prescriber's NPI is 1245319599.", { npi: 1 }],
  ["Discharge summary for MRN 88004512, attending provider NPI 1003000126, contact nurse at 555-201-3344.", {
    mrn: 1,
    npi: 1,
    phone: 1,
  }],
  ["Patient ID: 4471209 had a reaction to penicillin.", { mrn: 1 }],
];

/** Negative controls: nothing here is personal data. */
export const PII_NEGATIVE: PiiCase[] = [
  ["Where is order 4111 1111 1111 1112? It was due on 2024-03-15.", {}],
  ["Reference 1234567890123456 on the packing slip does not match.", {}],
  ["Invoice INV-2024-000123 totals $1,299.99 including VAT.", {}],
  ["Upgrade to version 2.14.3 before the 10.0 release.", {}],
  ["We run version 10.0.19045.2965 of Windows on the kiosks.", {}],
  ["The build 4.2.1.0 fixed the crash.", {}],
  ["Meeting moved to 12:30:45 UTC on 03/15/2024.", {}],
  ["The ISBN is 978-3-16-148410-0 for the second edition.", {}],
  ["Tracking number 1Z999AA10123456784 shows the parcel in Memphis.", {}],
  ["Our UUID is 550e8400-e29b-41d4-a716-446655440000.", {}],
  ["Device MAC 00:1A:2B:3C:4D:5E keeps dropping off Wi-Fi.", {}],
  ["The commit a3f5c9e2b7d14f06 introduced the regression.", {}],
  ["Coordinates 40.7128, -74.0060 mark the meeting point.", {}],
  ["The final score was 3-2 after extra time; attendance 61,500.", {}],
  ["Postcode SW1A 1AA and ZIP 90210 are both on the list.", {}],
  ["SSN format is 000-00-0000 in the template; never use 000-12-3456.", {}],
  ["Area 666-12-3456 is never issued, nor is 900-12-3456.", {}],
  ["IBAN DE89 3704 0044 0532 0130 01 fails the checksum, so the form rejects it.", {}],
  ["The test IBAN GB82WEST12345698765433 is deliberately invalid.", {}],
  ["Room 12-345 on floor 3, badge number 77812.", {}],
  ["Population grew from 8,336,817 to 8,804,190 over the decade.", {}],
  ["Product code SKU-2231-AB-09 is out of stock.", {}],
  ["Flight LH 400 departs at 10:15 from gate B44.", {}],
  ["The dimensions are 120 x 80 x 45 cm and it weighs 32 kg.", {}],
  ["Pi is approximately 3.14159265358979.", {}],
  ["Our revenue in 2023 was 12 345 678 EUR.", {}],
  ["Set the timeout to 30000 ms and the retries to 5.", {}],
  ["The Unix timestamp 1700000000 is in November 2023.", {}],
  ["Chapter 3, verses 16-18, and pages 201-245.", {}],
  ["Batch 2024-11-05-001 passed quality control.", {}],
  ["Serial number SN 4829-1033-7781 is registered to the lab.", {}],
  ["Email me the details when you can (no address yet).", {}],
  ["The @ symbol is used in decorators like @Injectable().", {}],
  ["Use user@localhost only in development configs.", {}],
  ["Kubernetes pods in 10.244.0.0/16 are the default CIDR.", { ipv4: 1 }],
  ["The regex ^\\d{3}-\\d{2}-\\d{4}$ validates SSN-shaped strings.", {}],
  ["A 16-digit number like 1234 5678 9012 3456 is not automatically a card.", {}],
  ["Ticket #4155550132 was closed as a duplicate.", {}],
  ["He scored 98.6 on the test and 1.2.3 is the semver.", {}],
  ["The std::vector and std::map containers differ in lookup cost.", {}],
  ["The ratio was 16:9 and the time 23:59.", {}],
  ["Bank routing code 021000021 appears on the cheque template.", {}],
  ["Account IDs look like ACC-000-111-2222 in the new schema.", {}],
  ["The password must have 8-64 characters.", {}],
  ["Call the function with (1, 2, 3) and ignore the return value.", {}],
  ["Latency p99 was 1.250 s and p50 0.034 s.", {}],
  ["The hash 5d41402abc4b2a76b9719d911017c592 is MD5 of hello.", {}],
  ["Use 2001 as the starting year and 2024 as the end.", {}],
  ["MRNA vaccines were discussed at the conference.", {}],
  ["Order 5555 5555 5555 4445 was cancelled.", {}],
];
