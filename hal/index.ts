// Public surface of the HAL (package export "tid-wasm/hal"; docs/hal.md "Layers"), bottom up:
//   clock   Clock, SystemClock, VirtualClock
//   bus     I2cPort / SpiPort, BusError, the i2c-bus and spi-device adapters, BusLock
//   link    Link, FmI2cLink / FmSpiLink, frame codecs, LinkError subclasses, timing
//   apdu    short APDUs, ApduChannel (chaining, 61xx, 6Cxx), ApduError subclasses, seStatusOf
//   boards  loadBoard / listBoards / parseBoard, openBoard (board → port → link → channel)
//   se      SeClient: the "TID applet v1" commands (docs/se-profile.md), sync and async
//   sim     createSimulatedSe / createSimulatedStack: the simulated FM SE, faults, timing
//   tee     TeeLink: the Link over the TID trusted application in OP-TEE (/dev/tee0), TeeError
export { type Clock, SystemClock, VirtualClock } from "./clock.js";

export type { I2cPort, SpiPort, SpiSegment, Port } from "./bus/port.js";
export { BusError, BUS_ERROR_CODES, toBusError, errnoName, type BusErrorCode } from "./bus/errors.js";
export { BusLock, busLock } from "./bus/lock.js";
export { openI2cPort, checkI2cAddress, i2cDevicePath, type I2cPortOptions, type I2cBusModule, type I2cBusLike } from "./bus/i2c.js";
export {
  openSpiPort,
  spiDevicePath,
  planSpiMessages,
  type SpiPortOptions,
  type SpiDeviceModule,
  type SpiDeviceLike,
  type SpiTransfer,
} from "./bus/spi.js";

export {
  type Link,
  type LinkTiming,
  type LinkStats,
  type LinkOptions,
  DEFAULT_TIMING,
  TIMING_KEYS,
  resolveTiming,
  emptyStats,
  BaseLink,
} from "./link/link.js";
/** Driver-loop helpers for new link protocols (docs/hal.md, "Porting"): read, write, transfer, sleep, runSync, runAsync. */
export * as linkDriver from "./link/driver.js";
export type { Step, Exchange, Tap } from "./link/driver.js";
export { FmI2cLink } from "./link/fm-i2c.js";
export { FmSpiLink, fmSpiSendSegments, fmSpiStatusSegments, fmSpiReceiveSegments } from "./link/fm-spi.js";
export {
  encodeFmI2cFrame,
  decodeFmI2cFrame,
  fmI2cFrameLength,
  FM_I2C_NAK_FRAME,
  FM_I2C_CMD_APDU,
  FM_I2C_CMD_ATR,
  FM_I2C_CMD_NAK,
  FM_I2C_STA_OK,
  FM_I2C_STA_WTX,
  FM_I2C_MAX_LEN,
  type FmI2cFrame,
} from "./link/fm-i2c-frame.js";
export { encodeFmSpiFrame, encodeFmSpiSend, decodeFmSpiFrame, fmSpiFrameLength, lrc, FM_SPI_MAX_LEN } from "./link/fm-spi-frame.js";
export {
  LinkError,
  LinkTimeout,
  LinkNack,
  LinkChecksum,
  LinkLength,
  LinkRetriesExhausted,
  LinkProtocol,
  LinkUnsupported,
  type LinkErrorCode,
  type SeStatusName,
} from "./link/errors.js";

export { encodeApdu, decodeApdu, parseResponse, swHex, SW_OK, type CommandApdu, type ResponseApdu } from "./apdu/apdu.js";
export { ApduChannel, type ApduChannelOptions, type Transceiver } from "./apdu/channel.js";
export {
  ApduError,
  ApduProtocolError,
  apduError,
  VerificationFailed,
  MemoryFailure,
  WrongLength,
  ChainingError,
  SecurityStatusNotSatisfied,
  ReferenceNotUsable,
  ConditionsNotSatisfied,
  WrongData,
  FunctionNotSupported,
  NotFound,
  IncorrectP1P2,
  ReferenceNotFound,
  WrongLe,
  InsNotSupported,
  ClaNotSupported,
  NoPreciseDiagnosis,
  AlgorithmNotSupported,
  type SwReason,
} from "./apdu/errors.js";
export { seStatusOf } from "./apdu/status.js";

export {
  loadBoard,
  listBoards,
  parseBoard,
  applyEnv,
  describeBoard,
  parseI2cAddress,
  boardsDir,
  BoardError,
  type Board,
  type I2cBoard,
  type SpiBoard,
  type LoadBoardOptions,
} from "./boards.js";
export { openBoard, type OpenBoardOptions, type OpenedBoard } from "./open-board.js";
export * from "./se/index.js";
export * from "./sim/index.js";
export { createSimulatedStack, type SimulatedStack, type SimulatedStackOptions } from "./sim/stack.js";
export {
  TeeLink,
  openTeeLink,
  uuidBytes,
  TID_TA_UUID,
  TEE_CMD_TRANSMIT,
  TEE_CMD_INFO,
  TEE_MAX_COMMAND,
  TEE_MAX_RESPONSE,
  TEE_SHM_SIZE,
  type TeeLogin,
  type TeeLinkOptions,
  type TeeAppletInfo,
} from "./tee/tee-link.js";
export {
  TeeError,
  TEE_ERROR_CODES,
  TEEC,
  teeErrorFromResult,
  teeErrorFromSystem,
  teeOriginName,
  teeResultName,
  type TeeErrorCode,
  type TeeOp,
  type TeeOrigin,
} from "./tee/errors.js";
export { loadTeeNative, TEE_NATIVE_MODULE, type TeeNative, type TeeNativeContext } from "./tee/native.js";
