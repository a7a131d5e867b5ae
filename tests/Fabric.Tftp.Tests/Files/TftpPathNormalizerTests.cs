using Fabric.Tftp.Commands;
using Fabric.Tftp.Files;

namespace Fabric.Tftp.Tests.Files;

public class TftpPathNormalizerTests
{
    [Theory]
    [InlineData("pxelinux.0", "pxelinux.0", false)]
    [InlineData("boot\\x86\\wdsnbp.com", "boot/x86/wdsnbp.com", false)]
    [InlineData("a//b/./c", "a/b/c", false)]
    [InlineData("/grub/grub.cfg", "grub/grub.cfg", true)]
    [InlineData("a..b/c.", "a..b/c.", false)]
    public void TryNormalize_AcceptableName_ReturnsRelativePath(string requested, string expected, bool absolute)
    {
        Assert.True(TftpPathNormalizer.TryNormalize(requested, out var path, out _));
        Assert.Equal(new TftpPath(expected, absolute), path);
    }

    [Theory]
    [InlineData("../etc/passwd")]
    [InlineData("..\\etc\\passwd")]
    [InlineData("....//etc/passwd")]
    [InlineData("a/../../etc/passwd")]
    [InlineData("a/../b")]
    [InlineData("...")]
    [InlineData("a/.../b")]
    [InlineData("..")]
    [InlineData("a\0b")]
    [InlineData("a\nb")]
    [InlineData("%2e%2e/etc/passwd")]
    [InlineData("..%2fetc%2fpasswd")]
    [InlineData("C:\\Windows\\win.ini")]
    [InlineData("c:/boot.ini")]
    [InlineData("/")]
    [InlineData("./")]
    [InlineData("")]
    public void TryNormalize_EscapeOrBogusName_AccessViolation(string requested)
    {
        Assert.False(TftpPathNormalizer.TryNormalize(requested, out _, out var error));
        Assert.Equal(TftpErrorCode.AccessViolation, error.Code);
    }
}
