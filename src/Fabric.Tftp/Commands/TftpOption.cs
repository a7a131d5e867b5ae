namespace Fabric.Tftp.Commands;

/// <summary>One option of a request or OACK (RFC 2347): the name lower-cased, the value as sent.</summary>
public readonly record struct TftpOption(string Name, string Value);
