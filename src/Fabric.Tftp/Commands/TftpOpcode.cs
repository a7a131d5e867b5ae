namespace Fabric.Tftp.Commands;

/// <summary>TFTP opcodes (RFC 1350 section 5, RFC 2347 for OACK).</summary>
public enum TftpOpcode : ushort
{
    ReadRequest = 1,
    WriteRequest = 2,
    Data = 3,
    Ack = 4,
    Error = 5,
    OptionAck = 6,
}

/// <summary>TFTP error codes (RFC 1350 appendix, RFC 2347 for code 8).</summary>
public enum TftpErrorCode : ushort
{
    NotDefined = 0,
    FileNotFound = 1,
    AccessViolation = 2,
    DiskFull = 3,
    IllegalOperation = 4,
    UnknownTransferId = 5,
    FileExists = 6,
    NoSuchUser = 7,
    OptionNegotiation = 8,
}

/// <summary>Transfer modes of RFC 1350. "mail" is obsolete and refused.</summary>
public enum TftpMode
{
    Octet,
    NetAscii,
}

/// <summary>Why a datagram could not be accepted, with the error a server answers (RFC 1350/2347).</summary>
public readonly record struct TftpParseError(TftpErrorCode Code, string Message);
