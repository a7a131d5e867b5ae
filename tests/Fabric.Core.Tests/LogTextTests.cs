using Fabric.Core;

namespace Fabric.Core.Tests;

public class LogTextTests
{
    [Theory]
    [InlineData("pxelinux.cfg/default", "pxelinux.cfg/default")]
    [InlineData("", "")]
    [InlineData("a\nb", @"a\nb")]
    [InlineData("a\r\nfake line", @"a\r\nfake line")]
    [InlineData("tab\there", @"tab\there")]
    [InlineData("\u001b[31mred\u001b[0m", @"\x1b[31mred\x1b[0m")]
    [InlineData("nul\0", @"nul\x00")]
    [InlineData("del\u007f", @"del\x7f")]
    [InlineData("csi\u009b2J", @"csi\x9b2J")]
    [InlineData("rtl\u202eexe.txt", @"rtl\u202eexe.txt")]
    [InlineData("line\u2028sep", @"line\u2028sep")]
    [InlineData(@"boot\pxe", @"boot\\pxe")]
    [InlineData(@"already \n escaped", @"already \\n escaped")]
    [InlineData("ünïcödé ok 🚀", "ünïcödé ok 🚀")]
    public void Escape_Text_ControlCharactersWrittenAsEscapes(string text, string expected)
    {
        Assert.Equal(expected, LogText.Escape(text));
    }

    [Fact]
    public void Escape_NothingToEscape_SameInstance()
    {
        string text = "hnode01 booted";
        Assert.Same(text, LogText.Escape(text));
    }

    [Fact]
    public void Escape_Null_Null()
    {
        Assert.Null(LogText.Escape(null));
    }
}
