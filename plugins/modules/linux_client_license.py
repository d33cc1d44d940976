#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: (c) 2026, tslicensing.cal contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

# The module is the action plugin plugins/action/linux_client_license.py (it runs
# tslicensing.cal.linux_license_files on the host); its DOCUMENTATION, EXAMPLES and RETURN are in
# linux_client_license.yml beside this file.
