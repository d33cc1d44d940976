#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: (c) 2026, tslicensing.cal contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

# The module is the action plugin plugins/action/client_os_info.py;
# its DOCUMENTATION, EXAMPLES and RETURN are in client_os_info.yml beside this file.
