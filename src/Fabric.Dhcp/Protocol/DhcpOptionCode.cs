namespace Fabric.Dhcp.Protocol;

/// <summary>DHCPv4 option codes used by Fabric (RFC 2132 unless noted).</summary>
public static class DhcpOptionCode
{
    public const byte Pad = 0;
    public const byte SubnetMask = 1;
    public const byte Router = 3;
    public const byte DomainNameServer = 6;
    public const byte HostName = 12;
    public const byte DomainName = 15;
    public const byte BroadcastAddress = 28;
    public const byte VendorSpecific = 43;
    public const byte RequestedIpAddress = 50;
    public const byte LeaseTime = 51;
    public const byte Overload = 52;
    public const byte MessageType = 53;
    public const byte ServerIdentifier = 54;
    public const byte ParameterRequestList = 55;
    public const byte Message = 56;
    public const byte MaxMessageSize = 57;
    public const byte RenewalTime = 58;
    public const byte RebindingTime = 59;
    public const byte VendorClassIdentifier = 60;
    public const byte ClientIdentifier = 61;
    public const byte TftpServerName = 66;
    public const byte BootFileName = 67;

    /// <summary>User class, RFC 3004 (iPXE also sends the raw string "iPXE").</summary>
    public const byte UserClass = 77;

    /// <summary>Relay agent information, RFC 3046.</summary>
    public const byte RelayAgentInformation = 82;

    /// <summary>Client system architecture, RFC 4578.</summary>
    public const byte ClientArchitecture = 93;

    /// <summary>Client network device interface, RFC 4578.</summary>
    public const byte ClientNetworkInterface = 94;

    /// <summary>Client machine identifier (UUID/GUID), RFC 4578.</summary>
    public const byte ClientMachineId = 97;

    /// <summary>iPXE's encapsulated options; its presence marks an iPXE client.</summary>
    public const byte IpxeEncapsulated = 175;

    public const byte End = 255;
}

/// <summary>DHCP message types (option 53, RFC 2132 section 9.6).</summary>
public enum DhcpMessageType : byte
{
    None = 0,
    Discover = 1,
    Offer = 2,
    Request = 3,
    Decline = 4,
    Ack = 5,
    Nak = 6,
    Release = 7,
    Inform = 8,
}

/// <summary>BOOTP op code.</summary>
public enum BootOp : byte
{
    Request = 1,
    Reply = 2,
}

/// <summary>Why a datagram was not accepted as a DHCP message. Each value is a metric tag.</summary>
public enum DhcpParseError
{
    None,
    Truncated,
    BadMagicCookie,
    BadHardwareLength,
    OptionOverrun,
    ZeroLengthOption,
    BadOptionLength,
    DuplicateOption,
    BadOverload,
    OverloadLoop,
    MissingMessageType,
    BadMessageType,
    BadRelayAgentInformation,
}
