// TID-TLS suite INTL (TLS_AES_128_GCM_SHA256, HKDF-SHA-256) held to the published TLS 1.3 traces
// of RFC 8448, which use that cipher suite:
// - RFC 5869 Appendix A.1 (HKDF-SHA-256 test case 1) for tid_hkdf_extract_suite / _expand_suite;
// - RFC 8448 §3 "Simple 1-RTT Handshake": the early, derived, handshake-traffic and master
//   secrets, the server handshake key and IV, through tid_hkdf_expand_label_suite and the
//   reference key schedule; and the protected records of its trace — the client Finished (client
//   handshake key), application data and close_notify both ways, the server NewSessionTicket
//   (application keys, sequence numbers 0..2) — sealed and opened byte for byte by a wasm context
//   whose directions the test build keys from the RFC's traffic secrets (tid_test_tls_install);
// - RFC 8448 §4 "Resumed 0-RTT Handshake": the resumption PSK, Early Secret, binder_key,
//   finished_key and PSK binder.
// TID-TLS keys contexts with a 16-byte token and no (EC)DHE, so the RFC's 32-byte PSK and x25519
// secret go through the HKDF exports and the record hook, not through tid_tls_open_*.
import { createHash, createHmac } from "node:crypto";
import { describe, expect, it } from "vitest";
import { TidWasm } from "../../bindings/wasm.js";
import { Status } from "../../bindings/status.js";
import { earlySecrets, finishedVerifyData, hkdfExpandLabel, hkdfExtract, trafficKeys } from "../../reference/tls-key-schedule.js";
import { fromHex, toHex } from "../../reference/bytes.js";

const h = (s: string): Uint8Array => fromHex(s.replace(/\s+/g, ""));
const sha256Empty = new Uint8Array(createHash("sha256").digest());
const enc = new TextEncoder();
const INTL = 1;

/** RFC 5869 Appendix A.1. */
const A1 = {
  ikm: h("0b".repeat(22)),
  salt: h("000102030405060708090a0b0c"),
  info: h("f0f1f2f3f4f5f6f7f8f9"),
  prk: "077709362c2e32df0ddc3f0dc47bba6390b6c73bb50f9c3122ec844ad7c2b3e5",
  okm: "3cb25f25faacd57a90434f64d0362f2a2d2d0a90cf1a5a4c5db02d56ecc4c5bf34007208d5b887185865",
};

/** RFC 8448 §3 (Simple 1-RTT Handshake). */
const S3 = {
  earlySecret: "33ad0a1c607ec03b09e6cd9893680ce210adf300aa1f2660e1b22e10f170f92a",
  derivedEarly: "6f2615a108c702c5678f54fc9dbab69716c076189c48250cebeac3576c3611ba",
  /** the x25519 shared secret, the IKM of the handshake secret */
  ecdhe: "8bd4054fb55b9d63fdfbacf9f04b9f0d35e6d63f537563efd46272900f89492d",
  /** Transcript-Hash(ClientHello ‖ ServerHello) */
  helloHash: "860c06edc07858ee8e78f0e7428c58edd6b43f2ca3e6e95f02ed063cf0e1cad8",
  clientHs: "b3eddb126e067f35a780b3abf45e2d8f3b1a950738f52e9600746a0e27a55a21",
  serverHs: "b67b7d690cc16c4e75e54213cb2d37b4e9c912bcded9105d42befd59d391ad38",
  serverHsKey: "3fce516009c21727d0f2e4e86ee403bc",
  serverHsIv: "5d313eb2671276ee13000b30",
  derivedHandshake: "43de77e0c77713859a944db9db2590b53190a65b3ee2e4f12dd7a0bb7ce254b4",
  masterSecret: "18df06843d13a08bf2a449844c5f8a478001bc4d4c627984d5a41da8d0402919",
  clientAp: "9e40646ce79a7f9dc05af8889bce6552875afa0b06df0087f792ebb7c17504a5",
  serverAp: "a11af9f05531f856ad47116b45a950328204b4f44bfb6b3a4b4f1f3fcb631643",
  /** {client} construct a Finished */
  clientFinished: "14000020a8ec436d677634ae525ac1fcebe11a039ec17694fac6e98527b642f2edd5ce61",
  /** {client} send handshake record: complete record (58 octets) */
  clientFinishedRecord: `17 03 03 00 35 75 ec 4d c2 38 cc e6 0b 29 80 44 a7 1e 21 9c 56 cc 77 b0
    51 7f e9 b9 3c 7a 4b fc 44 d8 7f 38 f8 03 38 ac 98 fc 46 de b3 84 bd 1c ae ac ab 68 67 d7 26 c4 05 46`,
  /** {server} send handshake record: complete record (227 octets), the NewSessionTicket, server application key, sequence 0 */
  newSessionTicketRecord: `17 03 03 00 de 3a 6b 8f 90 41 4a 97 d6 95 9c 34 87 68 0d e5 13 4a 2b 24
    0e 6c ff ac 11 6e 95 d4 1d 6a f8 f6 b5 80 dc f3 d1 1d 63 c7 58 db 28 9a 01 59 40 25 2f 55 71 3e 06 1d
    c1 3e 07 88 91 a3 8e fb cf 57 53 ad 8e f1 70 ad 3c 73 53 d1 6d 9d a7 73 b9 ca 7f 2b 9f a1 b6 c0 d4 a3
    d0 3f 75 e0 9c 30 ba 1e 62 97 2a c4 6f 75 f7 b9 81 be 63 43 9b 29 99 ce 13 06 46 15 13 98 91 d5 e4 c5
    b4 06 f1 6e 3f c1 81 a7 7c a4 75 84 00 25 db 2f 0a 77 f8 1b 5a b0 5b 94 c0 13 46 75 5f 69 23 2c 86 51
    9d 86 cb ee ac 87 aa c3 47 d1 43 f9 60 5d 64 f6 50 db 4d 02 3e 70 e9 52 ca 49 fe 51 37 12 1c 74 bc 26
    97 68 7e 24 87 46 d6 df 35 30 05 f3 bc e1 86 96 12 9c 81 53 55 6b 3b 6c 67 79 b3 7b f1 59 85 68 4f`,
  /** {client} / {server} send application_data record: payload 00 01 .. 31 (50 octets), complete record (72 octets) */
  clientAppRecord: `17 03 03 00 43 a2 3f 70 54 b6 2c 94 d0 af fa fe 82 28 ba 55 cb ef ac ea
    42 f9 14 aa 66 bc ab 3f 2b 98 19 a8 a5 b4 6b 39 5b d5 4a 9a 20 44 1e 2b
    62 97 4e 1f 5a 62 92 a2 97 70 14 bd 1e 3d ea e6 3a ee bb 21 69 49 15 e4`,
  serverAppRecord: `17 03 03 00 43 2e 93 7e 11 ef 4a c7 40 e5 38 ad 36 00 5f c4 a4 69 32 fc
    32 25 d0 5f 82 aa 1b 36 e3 0e fa f9 7d 90 e6 df fc 60 2d cb 50 1a 59 a8
    fc c4 9c 4b f2 e5 f0 a2 1c 00 47 c2 ab f3 32 54 0d d0 32 e1 67 c2 95 5d`,
  /** {client} / {server} send alert record: close_notify (01 00), complete record (24 octets) */
  clientAlertRecord: "17 03 03 00 13 c9 87 27 60 65 56 66 b7 4d 7f f1 15 3e fd 6d b6 d0 b0 e3",
  serverAlertRecord: "17 03 03 00 13 b5 8f d6 71 66 eb f5 99 d2 47 20 cf be 7e fa 7a 88 64 a9",
};
const APP_PAYLOAD = Uint8Array.from({ length: 50 }, (_, i) => i);
const CLOSE_NOTIFY = new Uint8Array([1, 0]);

/** RFC 8448 §4 (Resumed 0-RTT Handshake). */
const S4 = {
  resumptionMasterSecret: "7df235f2031d2a051287d02b0241b0bfdaf86cc856231f2d5aba46c434ec196c",
  ticketNonce: "0000",
  psk: "4ecd0eb6ec3b4d87f5d6028f922ca4c5851a277fd41311c9e62d2c9492e1c4f3",
  earlySecret: "9b2188e9b2fc6d64d71dc329900e20bb41915000f678aa839cbb797cb7d8332c",
  binderKey: "69fe131a3bbad5d63c64eebcc30e395b9d8107726a13d074e389dbc8a4e47256",
  finishedKey: "5588673e72cb59c87d220caffe94f2dea9a3b1609f7d50e90a48227db9ed7eaa",
  /** Transcript-Hash of the ClientHello up to the binders */
  binderHash: "63224b2e4573f2d3454ca84b9d009a04f6be9e05711a8396473aefa01e924a14",
  binder: "3add4fb2d8fdf822a0ca3cf7678ef5e88dae990141c5924d57bb6fa31b9e5f9d",
  derivedEarly: "5f1790bbd82c5e7d376ed2e1e52f8e6038c9346db61b43be9a52f77ef3998e80",
};

describe.each(["release", "portable"] as const)("HKDF-SHA-256 exports against RFC 5869 and RFC 8448 (%s build)", (build) => {
  const wasm = TidWasm.create({ build });
  const x = wasm.exports;
  const io = wasm.ioPtr;
  const put = (bytes: Uint8Array, at: number) => (wasm.bytes().set(bytes, io + at), io + at);
  const get = (at: number, n: number) => wasm.bytes().slice(io + at, io + at + n);
  const extract = (salt: Uint8Array, ikm: Uint8Array): string => {
    expect(x.tid_hkdf_extract_suite!(put(salt, 0), salt.length, put(ikm, 1024), ikm.length, io + 2048, INTL)).toBe(Status.OK);
    return toHex(get(2048, 32));
  };
  const expandLabel = (secret: string, label: string, context: Uint8Array, n = 32): string => {
    const l = enc.encode(label);
    const st = x.tid_hkdf_expand_label_suite!(
      put(h(secret), 0),
      32,
      put(l, 512),
      l.length,
      put(context, 1024),
      context.length,
      io + 4096,
      n,
      INTL,
    );
    expect(st).toBe(Status.OK);
    return toHex(get(4096, n));
  };

  it("RFC 5869 A.1: extract and expand over HMAC-SHA-256 (suite 1); suite 0 is HMAC-SM3", () => {
    expect(extract(A1.salt, A1.ikm)).toBe(A1.prk);
    expect(x.tid_hkdf_expand_suite!(put(h(A1.prk), 0), 32, put(A1.info, 1024), A1.info.length, io + 4096, 42, INTL)).toBe(Status.OK);
    expect(toHex(get(4096, 42))).toBe(A1.okm);
    // the same call in suite 0 is the SM3 export, not SHA-256
    expect(x.tid_hkdf_extract_suite!(put(A1.salt, 0), A1.salt.length, put(A1.ikm, 1024), A1.ikm.length, io + 2048, 0)).toBe(Status.OK);
    const sm = toHex(get(2048, 32));
    expect(sm).toBe(toHex(new Uint8Array(createHmac("sm3", A1.salt).update(A1.ikm).digest())));
    expect(x.tid_hkdf_extract!(put(A1.salt, 0), A1.salt.length, put(A1.ikm, 1024), A1.ikm.length, io + 2048)).toBe(Status.OK);
    expect(toHex(get(2048, 32))).toBe(sm);
  });

  it("RFC 8448 §3: early → derived → handshake traffic secrets, server handshake key/iv, master secret", () => {
    expect(extract(new Uint8Array(0), new Uint8Array(32))).toBe(S3.earlySecret);
    expect(expandLabel(S3.earlySecret, "derived", sha256Empty)).toBe(S3.derivedEarly);
    const handshakeSecret = extract(h(S3.derivedEarly), h(S3.ecdhe));
    expect(expandLabel(handshakeSecret, "c hs traffic", h(S3.helloHash))).toBe(S3.clientHs);
    expect(expandLabel(handshakeSecret, "s hs traffic", h(S3.helloHash))).toBe(S3.serverHs);
    expect(expandLabel(S3.serverHs, "key", new Uint8Array(0), 16)).toBe(S3.serverHsKey);
    expect(expandLabel(S3.serverHs, "iv", new Uint8Array(0), 12)).toBe(S3.serverHsIv);
    expect(expandLabel(handshakeSecret, "derived", sha256Empty)).toBe(S3.derivedHandshake);
    expect(extract(h(S3.derivedHandshake), new Uint8Array(32))).toBe(S3.masterSecret);
  });

  it("RFC 8448 §4: resumption PSK, Early Secret, binder_key, finished_key, derived", () => {
    expect(expandLabel(S4.resumptionMasterSecret, "resumption", h(S4.ticketNonce))).toBe(S4.psk);
    expect(extract(new Uint8Array(0), h(S4.psk))).toBe(S4.earlySecret);
    expect(expandLabel(S4.earlySecret, "res binder", sha256Empty)).toBe(S4.binderKey);
    expect(expandLabel(S4.binderKey, "finished", new Uint8Array(0))).toBe(S4.finishedKey);
    expect(expandLabel(S4.earlySecret, "derived", sha256Empty)).toBe(S4.derivedEarly);
  });
});

describe("the reference key schedule in suite intl against RFC 8448", () => {
  it("§4: early secrets of the resumption PSK and the PSK binder", () => {
    const e = earlySecrets(h(S4.psk), "intl");
    expect(toHex(e.earlySecret)).toBe(S4.earlySecret);
    expect(toHex(e.binderKey)).toBe(S4.binderKey);
    expect(toHex(finishedVerifyData(e.binderKey, h(S4.binderHash), "intl"))).toBe(S4.binder);
    expect(toHex(hkdfExpandLabel(h(S4.resumptionMasterSecret), "resumption", h(S4.ticketNonce), 32, "intl"))).toBe(S4.psk);
  });

  it("§3: handshake secrets, traffic key and iv", () => {
    const derived = hkdfExpandLabel(h(S3.earlySecret), "derived", sha256Empty, 32, "intl");
    expect(toHex(derived)).toBe(S3.derivedEarly);
    const handshakeSecret = hkdfExtract(derived, h(S3.ecdhe), "intl");
    expect(toHex(hkdfExpandLabel(handshakeSecret, "s hs traffic", h(S3.helloHash), 32, "intl"))).toBe(S3.serverHs);
    const { key, iv } = trafficKeys(h(S3.serverHs), "intl");
    expect([toHex(key), toHex(iv)]).toEqual([S3.serverHsKey, S3.serverHsIv]);
    // suite sm (the default) is another hash: the same call gives other bytes
    expect(toHex(trafficKeys(h(S3.serverHs)).key)).not.toBe(S3.serverHsKey);
  });
});

describe("wasm record protection in suite INTL reproduces the records of RFC 8448 §3 (test build)", () => {
  const wasm = TidWasm.create({ build: "test" });
  const x = wasm.exports;
  const io = wasm.ioPtr;
  const mem = () => wasm.bytes();
  const REC = 0,
    INFO = 20_000,
    SECRET = 20_064;

  /** An open INTL context of `side` (any PSK: every direction used here is keyed by the hook). */
  const open = (ctx: number, side: number): void => {
    mem().set(new Uint8Array(16).fill(0x5a), io + SECRET);
    expect(x.tid_tls_open_psk_suite!(ctx, side, io + SECRET, 16, INTL)).toBe(Status.OK);
    expect(x.tid_tls_suite!(ctx)).toBe(INTL);
  };
  const install = (ctx: number, dir: number, secret: string): void => {
    mem().set(h(secret), io + SECRET);
    expect(x.tid_test_tls_install!(ctx, dir, io + SECRET)).toBe(Status.OK);
    mem().fill(0, io + SECRET, io + SECRET + 32);
  };
  const seal = (ctx: number, type: number, content: Uint8Array): string => {
    mem().set(content, io + REC + 5);
    expect(x.tid_tls_seal!(ctx, type, io + REC + 5, content.length, io + REC)).toBe(Status.OK);
    return toHex(mem().slice(io + REC, io + REC + content.length + 22));
  };
  const openRecord = (ctx: number, record: string): { status: number; type?: number; content?: Uint8Array } => {
    const r = h(record);
    mem().set(r, io + REC);
    const status = x.tid_tls_open!(ctx, io + REC, r.length, io + REC + 5, io + INFO);
    if (status !== Status.OK) return { status };
    const dv = new DataView(mem().buffer, io + INFO, 8);
    const n = dv.getUint32(0, true);
    return { status, type: dv.getUint32(4, true), content: mem().slice(io + REC + 5, io + REC + 5 + n) };
  };

  it("the client seals its Finished, application data and close_notify as the RFC's client does", () => {
    open(0, 0);
    install(0, 1, S3.clientHs);
    expect(seal(0, 22, h(S3.clientFinished))).toBe(toHex(h(S3.clientFinishedRecord)));
    install(0, 1, S3.clientAp);
    expect(seal(0, 23, APP_PAYLOAD)).toBe(toHex(h(S3.clientAppRecord)));
    expect(seal(0, 21, CLOSE_NOTIFY)).toBe(toHex(h(S3.clientAlertRecord)));
    expect(x.tid_tls_close!(0)).toBe(Status.OK);
  });

  it("the client opens the server's NewSessionTicket, application data and close_notify (sequence 0, 1, 2)", () => {
    open(1, 0);
    install(1, 0, S3.serverAp);
    const nst = openRecord(1, S3.newSessionTicketRecord);
    expect(nst.status).toBe(Status.OK);
    expect(nst.type).toBe(22);
    // a NewSessionTicket (type 4) of 0xc9 bytes: the whole 205-byte content
    expect(toHex(nst.content!.subarray(0, 4))).toBe("040000c9");
    expect(nst.content!.length).toBe(205);
    const app = openRecord(1, S3.serverAppRecord);
    expect([app.status, app.type, toHex(app.content!)]).toEqual([Status.OK, 23, toHex(APP_PAYLOAD)]);
    const alert = openRecord(1, S3.serverAlertRecord);
    expect([alert.status, alert.type, toHex(alert.content!)]).toEqual([Status.OK, 21, "0100"]);
    expect(x.tid_tls_close!(1)).toBe(Status.OK);
  });

  it("the server side opens the client's records; out of order or altered they fail", () => {
    open(2, 1);
    install(2, 0, S3.clientAp);
    // the alert is the client's second record: at sequence 0 its nonce is wrong
    expect(openRecord(2, S3.clientAlertRecord).status).toBe(Status.ERR_VERIFY_FAILED);
    const app = h(S3.clientAppRecord);
    app[30]! ^= 1;
    expect(openRecord(2, toHex(app)).status).toBe(Status.ERR_VERIFY_FAILED);
    expect(openRecord(2, S3.clientAppRecord)).toMatchObject({ status: Status.OK, type: 23 });
    expect(openRecord(2, S3.clientAlertRecord)).toMatchObject({ status: Status.OK, type: 21 });
    // the same traffic secret in suite SM is another key: the RFC's record does not open
    mem().set(new Uint8Array(16), io + SECRET);
    expect(x.tid_tls_open_psk!(3, 1, io + SECRET, 16)).toBe(Status.OK);
    expect(x.tid_tls_suite!(3)).toBe(0);
    install(3, 0, S3.clientAp);
    expect(openRecord(3, S3.clientAppRecord).status).toBe(Status.ERR_VERIFY_FAILED);
    for (const c of [2, 3]) expect(x.tid_tls_close!(c)).toBe(Status.OK);
  });

  it("the hook's own checks", () => {
    expect(x.tid_test_tls_install!(16, 0, io)).toBe(Status.ERR_BAD_KEY_INDEX);
    expect(x.tid_test_tls_install!(5, 0, io)).toBe(Status.ERR_NOT_INITIALISED);
    open(5, 0);
    expect(x.tid_test_tls_install!(5, 2, io)).toBe(Status.ERR_BAD_PARAM);
    expect(x.tid_test_tls_install!(5, 0, 0xffff_fff0)).toBe(Status.ERR_OUT_OF_BOUNDS);
    expect(x.tid_tls_close!(5)).toBe(Status.OK);
  });
});
