/**
 * Hand-written DCE/RPC PDUs (little-endian, NDR) of a port-135 activation, shared by the connection-layer tests and
 * the call-level rule-option tests. Unlike fixtures.ts these are not quoted from captures: each is written from the
 * C706 / MS-RPCE layout so one field at a time can be varied.
 */
import { fromHex } from '../../src/dcerpc/bytes.js';

/** The NDR transfer syntax 8a885d04-1ceb-11c9-9fe8-08002b104860 v2, as it stands in a context element. */
export const NDR = '04 5d 88 8a eb 1c c9 11 9f e8 08 00 2b 10 48 60 02 00 00 00';

/** bind call_id 1: ctx 0 = IOXIDResolver, ctx 1 = ISystemActivator (IRemoteSCMActivator), both over NDR. */
export const BIND_135 = fromHex(
  `05 00 0b 03 10 00 00 00 74 00 00 00 01 00 00 00 d0 16 d0 16 00 00 00 00 02 00 00 00
   00 00 01 00 c4 fe fc 99 60 52 1b 10 bb cb 00 aa 00 21 34 7a 00 00 00 00 ${NDR}
   01 00 01 00 a0 01 00 00 00 00 00 00 c0 00 00 00 00 00 00 46 00 00 00 00 ${NDR}`,
);
/** bind_ack call_id 1, sec_addr "135", both contexts accepted. */
export const BIND_ACK_135 = fromHex(
  `05 00 0c 03 10 00 00 00 54 00 00 00 01 00 00 00 d0 16 d0 16 34 12 00 00 04 00 31 33 35 00 00 00
   02 00 00 00 00 00 00 00 ${NDR} 00 00 00 00 ${NDR}`,
);
/** request call_id 3, ctx 1, opnum 4 (RemoteCreateInstance); stub = the WMI CLSID 8bc3f05e-… (LE) + 8 zero bytes. */
export const CREATE_INSTANCE_3 = fromHex(
  `05 00 00 03 10 00 00 00 30 00 00 00 03 00 00 00 18 00 00 00 01 00 04 00
   5e f0 c3 8b 6b d8 d0 11 a0 75 00 c0 4f b6 88 20 00 00 00 00 00 00 00 00`,
);
/** request call_id 4, ctx 0, opnum 5 (IOXIDResolver::ServerAlive2), no stub. */
export const SERVER_ALIVE2_4 = fromHex('05 00 00 03 10 00 00 00 18 00 00 00 04 00 00 00 00 00 00 00 00 00 05 00');
